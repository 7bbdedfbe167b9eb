import { MemoryQueue } from "../../src/store/memory-queue.ts";
import { queueCases } from "../cases/queue.case.ts";

queueCases("memory", async () => {
  const queue = new MemoryQueue();
  return {
    queue,
    addFunction: async (code) => {
      const id = crypto.randomUUID();
      queue.addFunction(id, code);
      return id;
    },
    addTask: async (functionId, args, timeoutMs) => queue.addTask({ functionId, args, timeoutMs }),
    state: async (id) => queue.task(id) ?? null,
    kill: (consumer) => queue.leave(consumer),
    cancel: async (id, result) => queue.cancelTask(id, result),
    deleteFunction: async (id) => queue.deleteFunction(id),
  };
});
