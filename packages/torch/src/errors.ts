/**
 * Errors from libtorch arrive as JS `Error`s whose message starts with the operator
 * (`aten::mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)`) and which carry `op`,
 * `kind` (c10's error class: RuntimeError, IndexError, ValueError, …) and `cause` (libtorch's text).
 */
export interface TorchError extends Error {
  op: string;
  kind: string;
  cause: string;
}

export function isTorchError(e: unknown): e is TorchError {
  return (
    e instanceof Error && typeof (e as Partial<TorchError>).op === 'string' && typeof (e as Partial<TorchError>).kind === 'string'
  );
}

export const TorchError = {
  [Symbol.hasInstance](e: unknown): boolean {
    return isTorchError(e);
  },
};
