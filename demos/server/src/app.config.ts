// The configuration of the server this repository runs (`npm start`, tests, demos, benchmarks):
// what an app built on Lumenize writes for itself with `defineConfig`.
import { defineConfig } from '@lumenize/server'
import * as v from 'valibot'

const Task = v.looseObject({
  title: v.pipe(v.string(), v.minLength(1), v.maxLength(500)),
  status: v.optional(v.picklist(['todo', 'doing', 'done'])),
  priority: v.optional(v.number()),
  nodes: v.optional(v.array(v.string())),
  assignee: v.optional(v.string()),
})

const Person = v.looseObject({
  name: v.pipe(v.string(), v.minLength(1)),
  email: v.pipe(v.string(), v.email()),
  nodes: v.optional(v.array(v.string())),
})

export const appConfig = defineConfig({
  types: {
    /** Free-form documents: any JSON object, no schema. */
    Doc: { indexes: ['kind'], attachTo: 'nodes' },
    Task: {
      schema: Task,
      indexes: ['status', 'priority'],
      attachTo: 'nodes',
      references: { assignee: 'Person' },
    },
    Person: { schema: Person, unique: ['email'], attachTo: 'nodes' },
  },
})
