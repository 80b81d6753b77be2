// Runs after `npm install` (package.json "postinstall"). Two fixes to postgres.js 3.4.9, each
// applied once (its mark) to the ESM, CommonJS and Cloudflare copies; if the source no longer
// matches, the install fails loudly, so an upgrade cannot drop a fix silently.
//
// 1. postgres.js crashes the whole process with an uncatchable
// "TypeError: Cannot read properties of null (reading 'write')" when a connection's backend dies
// while a small write is queued (porsager/postgres#1154, #1208; fix proposed in #1176/#1209, not
// released). A transaction whose connection is killed mid-way hits it on its ROLLBACK. Until a
// release carries the fix, this applies the same guard: a write on a closed socket fails the
// pending queries with CONNECTION_CLOSED instead of throwing from a timer, and teardown forgets
// the queued write so a reused connection cannot flush stale bytes.
//
// 2. A transaction stops pipelining for good once its connection is "full" (a statement sent
// with a describe first, as every new statement is): its later queries wait in the
// transaction's queue, and each time the connection falls idle only one of them is sent, so
// every statement costs a round trip and waits for the event loop, for as long as the queue is
// not empty (porsager/postgres#951 asks for pipelining within a transaction). An import, which
// keeps writes queued behind its work, then left PostgreSQL idle a third of the time. Patched:
// when the connection falls idle, the queue is sent as far as the pipeline allows, and the
// connection takes queries directly again once the queue is empty.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// The package exports no ./package.json; its CommonJS entry is cjs/src/index.js.
const root = join(dirname(require.resolve('postgres')), '..', '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const GUARD = '/* pulse: guarded nextWrite */';
const PIPELINE = '/* pulse: transaction queue pipelined */';

const patches = [
  {
    mark: GUARD,
    file: 'connection.js',
    what: 'the nextWrite fix',
    replacements: [
      [
        'function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
        `function nextWrite(fn) {\n    ${GUARD}\n    if (!socket) {\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
      ],
      ['    clearImmediate(nextWriteTimer)\n    if (socket) {', '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {'],
      ['    clearImmediate(nextWriteTimer)\n    socket.removeListener', '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener'],
    ],
  },
  {
    mark: PIPELINE,
    file: 'index.js',
    what: 'pipelining within a transaction',
    replacements: [
      [
        '      c.reserved = () => queries.length\n        ? c.execute(queries.shift())\n        : move(c, reserved)',
        `      c.reserved = () => {\n        ${PIPELINE}\n        while (queries.length)\n          if (!c.execute(queries.shift())) return\n        move(c, reserved)\n      }`,
      ],
    ],
  },
];

for (const { mark, file, what, replacements } of patches) {
  for (const dir of ['src', 'cjs/src', 'cf/src']) {
    const path = join(root, dir, file);
    if (!existsSync(path)) continue;
    let source = readFileSync(path, 'utf8');
    if (source.includes(mark)) continue;
    for (const [from, to] of replacements) {
      if (!source.includes(from)) {
        console.error(`patch-postgres-driver: postgres@${version} ${dir}/${file} no longer matches; check whether ${what} was released and drop this patch.`);
        process.exit(1);
      }
      source = source.replace(from, to);
    }
    writeFileSync(path, source);
  }
}
