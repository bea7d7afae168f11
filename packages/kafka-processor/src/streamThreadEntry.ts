// The worker-thread entry of AggregateStreamThreads (built to dist/streamThread.js and .cjs).
import { parentPort, workerData } from 'node:worker_threads';
import { runStreamThread, type StreamThreadData } from './streamThread.js';

if (parentPort === null) throw new Error('streamThreadEntry runs only as a worker thread');
runStreamThread(parentPort, workerData as StreamThreadData).catch((error: unknown) => {
  // Surfaces as the Worker's 'error' event (STREAM_THREAD_DIED in the parent).
  setImmediate(() => {
    throw error;
  });
});
