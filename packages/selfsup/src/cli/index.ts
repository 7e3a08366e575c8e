/** The `selfsup` command line: one file per command under src/cli. */
import { demo } from './demo.js';

const USAGE = `usage: selfsup <command> [options]

commands:
  demo        train a small model on Fashion-MNIST and report its accuracy (CPU, about a minute)
  version     print selfsup's and libtorch's versions
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'demo':
      return demo(rest);
    case 'version': {
      const torch = await import('@selfsup/torch');
      console.log(`selfsup 0.1.0, libtorch ${torch.version}, ${torch.getNumThreads()} threads`);
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return cmd === undefined ? 1 : 0;
    default:
      console.error(`selfsup: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}
