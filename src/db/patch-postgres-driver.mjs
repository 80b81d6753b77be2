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

for (const file of ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js']) {
  const path = join(root, file);
  if (!existsSync(path)) continue;
  let source = readFileSync(path, 'utf8');
  if (source.includes(MARK)) continue;
  for (const [from, to] of replacements) {
    if (!source.includes(from)) {
      console.error(`patch-postgres-driver: postgres@${version} ${file} no longer matches; check whether the nextWrite fix was released and drop this patch.`);
      process.exit(1);
    }
    source = source.replace(from, to);
  }
  writeFileSync(path, source);
}
