import { fork } from 'node:child_process';

/**
 * A small request/answer protocol over Node's IPC channel, so the benchmark can start servers and
 * clients in processes of their own and steer them (start, sample memory, broadcast, stop).
 */

interface Request {
  readonly id: number;
  readonly command: string;
  readonly args: unknown;
}

type Answer = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

export interface Child {
  readonly pid: number;
  call<T>(command: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to stop, then kills it if it has not exited within 15 s. */
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** Extra Node flags (e.g. --expose-gc); tsx's loader flags are passed on. */
  readonly nodeFlags?: readonly string[];
  /** The child is killed after this long whatever happens. */
  readonly lifetimeMs: number;
}

const inheritedFlags = (): string[] => process.execArgv.filter((flag) => !flag.startsWith('--cpu-prof') && !flag.startsWith('--heap-prof'));

export function startChild(entry: string, options: ChildOptions): Child {
  const child = fork(entry, [], { execArgv: [...inheritedFlags(), ...(options.nodeFlags ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(lifetime);
      for (const waiter of pending.values()) waiter.reject(new Error(`${entry} exited (${signal ?? code}) before answering`));
      pending.clear();
      resolve();
    });
  });
  const lifetime = setTimeout(() => child.kill('SIGKILL'), options.lifetimeMs);
  lifetime.unref();
  child.on('message', (answer: Answer) => {
    const waiter = pending.get(answer.id);
    if (!waiter) return;
    pending.delete(answer.id);
    if (answer.ok) waiter.resolve(answer.value);
    else waiter.reject(new Error(answer.error));
  });
  child.on('error', () => undefined);

  const call = <T>(command: string, args: unknown = null, timeoutMs = 120_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`${entry} has exited`));
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${command} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.send({ id, command, args } satisfies Request);
    });

  return {
    pid: child.pid ?? -1,
    call,
    stop: async () => {
      if (exited) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await call('stop', null, 15_000).catch(() => undefined);
      await exit;
      clearTimeout(kill);
    },
  };
}

export type Handlers = Readonly<Record<string, (args: never) => unknown>>;

/**
 * The child's side: runs each command's handler and answers; `stop` answers, then exits 0. The
 * child also stops when its parent goes away, so it never outlives the run.
 */
export function serveCommands(handlers: Handlers, stop: () => Promise<void>): void {
  const answer = (message: Answer): Promise<void> =>
    new Promise((resolve) => {
      if (!process.connected || !process.send) return resolve();
      process.send(message, () => resolve());
    });
  let stopping = false;
  const finish = async (): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await stop().catch((error: unknown) => process.stderr.write(`child stop failed: ${String(error)}\n`));
    }
    process.exit(0);
  };
  process.on('message', (request: Request) => {
    if (request.command === 'stop') {
      void answer({ id: request.id, ok: true, value: null }).then(finish);
      return;
    }
    const handler = handlers[request.command] as ((args: unknown) => unknown) | undefined;
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${request.command}`);
        return handler(request.args);
      })
      .then(
        (value) => answer({ id: request.id, ok: true, value: value ?? null }),
        (error: unknown) => answer({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  process.once('disconnect', () => void finish());
}
