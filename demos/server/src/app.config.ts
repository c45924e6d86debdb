// The configuration of the server this repository runs (`npm start`, tests, demos, benchmarks):
// what an app built on Lumenize writes for itself with `defineConfig`.
import { defineConfig, defineShape } from '@lumenize/server'
import * as v from 'valibot'

const TaskStatus = v.picklist(['todo', 'doing', 'done'])

const Task = v.looseObject({
  title: v.pipe(v.string(), v.minLength(1), v.maxLength(500)),
  status: v.optional(TaskStatus),
  priority: v.optional(v.number()),
  nodes: v.optional(v.array(v.string())),
  assignee: v.optional(v.string()),
})

const Person = v.looseObject({
  name: v.pipe(v.string(), v.minLength(1)),
  email: v.pipe(v.string(), v.email()),
  nodes: v.optional(v.array(v.string())),
})

/**
 * A task board: the Tasks under an OrgTree node, optionally of one status, each carrying only what
 * a board card shows (its title and status; the assignee and priority stay on the server).
 */
const taskBoard = defineShape(
  'taskBoard',
  (p) => ({
    types: ['Task'],
    under: p.node,
    ...(p.status === undefined ? {} : { where: { status: p.status } }),
    fields: ['title', 'status'],
  }),
  { params: v.strictObject({ node: v.pipe(v.string(), v.uuid()), status: v.optional(TaskStatus) }) },
)

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
  shapes: [taskBoard],
})
