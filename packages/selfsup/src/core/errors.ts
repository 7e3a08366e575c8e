/** The error every config problem becomes: it names the dotted path of the bad value. */

/** A config error: `path` is the dotted location of the bad value (`model.neck.hidChannels`). */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
    this.name = 'ConfigError';
  }
}
