/**
 * Cuts a stream into chunks of exactly `chunkBytes` (the last may be shorter) and hands them to
 * `write` in order, holding at most one chunk in memory; returns the stream's size. Uploads and
 * archives are stored this way, a row per chunk, so a reader can fetch any byte range.
 */
export async function writeInChunks(source: AsyncIterable<Buffer>, chunkBytes: number, write: (seq: number, data: Buffer) => Promise<void>): Promise<number> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seq = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    await write(seq, Buffer.concat(pending));
    seq += 1;
    pending = [];
    pendingBytes = 0;
  };
  for await (const piece of source) {
    let rest = piece;
    while (rest.length > 0) {
      const take = rest.subarray(0, chunkBytes - pendingBytes);
      pending.push(take);
      pendingBytes += take.length;
      total += take.length;
      rest = rest.subarray(take.length);
      if (pendingBytes === chunkBytes) await flush();
    }
  }
  await flush();
  return total;
}
