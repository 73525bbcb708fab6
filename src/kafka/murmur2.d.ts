declare module 'kafkajs/src/producer/partitioners/default/murmur2.js' {
  /** kafkajs's murmur2 (the Java client's hash), unsigned 32-bit result before masking. */
  const murmur2: (key: string | Buffer) => number;
  export default murmur2;
}
