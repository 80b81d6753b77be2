export async function loadDemo(_: unknown): Promise<{email: string; password: string}> { throw new Error('todo'); }
