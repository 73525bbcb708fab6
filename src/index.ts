/**
 * clvstream as a library: the event contracts (zod schemas and types of every
 * topic's messages, as the service validates them), the pure domain under
 * `domain`, and the in-memory pipeline that runs events through it the way the
 * service does (what `clvstream replay` uses).
 */
export * from './contracts/index.js';
export * as domain from './domain/index.js';
export { MemoryProcessor } from './pipeline/memory-processor.js';
