// TypeScript 5.9's DOM lib types TextDecoderStream's writable side as WritableStream<BufferSource>, which
// ReadableStream<Uint8Array>.pipeThrough refuses, though browsers accept it (the client's
// `body.pipeThrough(new TextDecoderStream())`). This overload lets the browser build type-check it.
// A merged declaration must repeat the lib's type parameter, used or not.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
interface ReadableStream<R> {
  pipeThrough<T>(transform: { writable: WritableStream<BufferSource>; readable: ReadableStream<T> }, options?: StreamPipeOptions): ReadableStream<T>;
}
