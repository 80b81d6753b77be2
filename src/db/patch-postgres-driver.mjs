// Runs after `npm install` (package.json "postinstall").
//
// postgres.js 3.4.9 crashes the whole process with an uncatchable
// "TypeError: Cannot read properties of null (reading 'write')" when a connection's backend dies
// while a small write is queued (porsager/postgres#1154, #1208; fix proposed in #1176/#1209, not
// released). A transaction whose connection is killed mid-way hits it on its ROLLBACK. Until a
// release carries the fix, this applies the same guard: a write on a closed socket fails the
// pending queries with CONNECTION_CLOSED instead of throwing from a timer, and teardown forgets
// the queued write so a reused connection cannot flush stale bytes.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARK = '/* pulse: guarded nextWrite */';
const require = createRequire(import.meta.url);
// The package exports no ./package.json; its CommonJS entry is cjs/src/index.js.
const root = join(dirname(require.resolve('postgres')), '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const replacements = [
  [
    'function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    `function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
  ['    clearImmediate(nextWriteTimer)\n    if (socket) {', '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {'],
  ['    clearImmediate(nextWriteTimer)\n    socket.removeListener', '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener'],
];

// Second patch, in index.js: a transaction's queued statements go out one per round trip.
// postgres.js queues a transaction's statements once its connection is "full" (a statement that
// needs describing first, e.g. the first run of a text on that connection), and then, each time
// the connection falls idle, sends ONE of them (`c.reserved`), for as long as the queue is not
// empty (related: porsager/postgres#951). A writer that sends several statements without waiting
// (an import's writes behind) then pays a round trip and an event-loop turn for each. The patch
// sends the queue on as far as the pipeline takes it, and stops after a statement that ends the
// transaction (COMMIT, ROLLBACK, PREPARE TRANSACTION): what was queued behind it must never run
// (as the driver's own code guarantees, by leaving the connection once it is idle), least of all
// outside the transaction.
const QUEUE_MARK = '/* pulse: pipelined transaction queue */';
const queueReplacements = [
  [
    '      c.reserved = () => queries.length\n        ? c.execute(queries.shift())\n        : move(c, reserved)\n',
    `      c.reserved = () => {\n        ${QUEUE_MARK}\n        while (queries.length) {\n          const q = queries.shift()\n          // A cancelled statement is not sent (execute returns nothing): the next one may go.\n          const sent = c.execute(q)\n          if (q.cancelled && !sent) continue\n          if (!sent || endsTransaction(q)) return\n        }\n        move(c, reserved)\n      }\n`,
  ],
  [
    '  function move(c, queue) {\n',
    `  function endsTransaction(q) {\n    const text = (q.strings || []).join(' ').trim().toLowerCase()\n    return /^(commit|end|abort|prepare\\s+transaction)\\b/.test(text) || (/^rollback\\b/.test(text) && !/^rollback\\s+to\\b/.test(text))\n  }\n\n  function move(c, queue) {\n`,
  ],
];

// Third patch, in connection.js: a statement that cannot be built (an undefined parameter, too
// many parameters) while another is in flight failed that OTHER statement, and stayed in the
// pipeline unsent, so every later reply went to the statement before its own and the last one
// never settled. The second patch sends a transaction's queue while statements are in flight, so
// it must fail alone: it leaves the pipeline and is rejected itself.
const BUILD_MARK = '/* pulse: a statement that cannot be built fails alone */';
const buildReplacements = [
  [
    '    } catch (error) {\n      sent.length === 0 && write(Sync)\n      errored(error)\n      return true\n    }\n',
    `    } catch (error) {\n      ${BUILD_MARK}\n      if (query !== q) {\n        sent.remove(q)\n        q.reject(error)\n        return true\n      }\n      sent.length === 0 && write(Sync)\n      errored(error)\n      return true\n    }\n`,
  ],
];

/** Applies `replacements` to each of `files` that lacks `mark`; exits non-zero when a file no longer matches. */
function patch(files, mark, replacements, what) {
  for (const file of files) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    let source = readFileSync(path, 'utf8');
    if (source.includes(mark)) continue;
    for (const [from, to] of replacements) {
      if (!source.includes(from)) {
        console.error(`patch-postgres-driver: postgres@${version} ${file} no longer matches (${what}); check whether the fix was released and drop this patch.`);
        process.exit(1);
      }
      source = source.replace(from, to);
    }
    writeFileSync(path, source);
  }
}

patch(['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'], MARK, replacements, 'the nextWrite guard');
patch(['src/index.js', 'cjs/src/index.js', 'cf/src/index.js'], QUEUE_MARK, queueReplacements, 'the transaction queue');
patch(['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'], BUILD_MARK, buildReplacements, 'a statement that cannot be built');
