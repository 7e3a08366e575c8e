/** The `selfsup` command line: one file per command under src/cli. */
import '../builtins.js';
import { ConfigError } from '../core/schema.js';
import { EXIT, UsageError } from './args.js';

const USAGE = `usage: selfsup <command> [options]      (selfsup <command> --help for a command's options)

commands:
  train          pre-train a backbone with an algorithm config (resumable, multi-process)
  list           registered algorithms, backbones, transforms, hooks, … and bundled configs
  analyze-logs   plot or summarise log.jsonl files (curves to PNG/SVG, statistics)
  data           prepare a standard dataset (CIFAR-10/100, STL-10, MNIST, Fashion-MNIST)
  browse-dataset a PNG grid of images next to their augmented views
  eval           kNN, linear probe, SVM, fine-tune or semi-supervised fine-tune a backbone on labelled data (with baselines)
  extract        features and labels of a dataset to safetensors / .npy
  export         a trained backbone's weights with a model card (backbone), or as ONNX (onnx)
  vis            t-SNE or UMAP plot of a backbone's features; MIM reconstructions
  flops          parameters and FLOPs of a config's backbone at an input shape
  demo           train a small model on Fashion-MNIST and report its accuracy (CPU)
  version        print selfsup's and libtorch's versions, CUDA/cuDNN and the GPUs

exit codes: 0 ok, 1 failure, 2 usage or config error
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => (await import('./train.js')).train,
  list: async () => (await import('./list.js')).list,
  'analyze-logs': async () => (await import('./analyze-logs.js')).analyzeLogs,
  flops: async () => (await import('./flops.js')).flops,
  data: async () => (await import('./data.js')).dataCommand,
  'browse-dataset': async () => (await import('./browse-dataset.js')).browseDataset,
  eval: async () => (await import('./eval.js')).evaluate,
  test: async () => (await import('./eval.js')).evaluate,
  extract: async () => (await import('./extract.js')).extract,
  export: async () => (await import('./export.js')).exportCommand,
  vis: async () => (await import('./vis.js')).vis,
  demo: async () => (await import('./demo.js')).demo,
  version: async () => async () => {
    const torch = await import('@selfsup/torch');
    console.log(`selfsup 0.1.0, libtorch ${torch.version}, ${torch.getNumThreads()} threads`);
    const c = torch.cuda.info();
    if (c.runtime === null) console.log('CUDA: not in this build (CPU libtorch)');
    else {
      const nccl = torch.distributed.isNcclAvailable() ? ', NCCL' : '';
      console.log(
        `CUDA ${c.runtime}, cuDNN ${c.cudnn ?? 'none'}${nccl}; ${c.devices.length} GPU${c.devices.length === 1 ? '' : 's'}`,
      );
      for (const d of c.devices) {
        const mem = d.totalMemory === undefined ? '' : `, ${(d.totalMemory / 2 ** 30).toFixed(0)} GiB`;
        const cap = d.capability === undefined ? '' : `, compute capability ${d.capability}`;
        console.log(`  cuda:${d.index}: ${d.name ?? 'GPU'}${mem}${cap}`);
      }
    }
    return EXIT.OK;
  },
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    (cmd === undefined ? console.error : console.log)(USAGE);
    return cmd === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    console.error(`selfsup: unknown command '${cmd}'\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`selfsup ${cmd}: ${e.message} (see selfsup ${cmd} --help)`);
      return EXIT.USAGE;
    }
    if (e instanceof ConfigError) {
      console.error(`selfsup ${cmd}: config error: ${e.message}`);
      return EXIT.USAGE;
    }
    console.error(`selfsup ${cmd}: ${(e as Error).message}`);
    if (process.env.SELFSUP_DEBUG) console.error(e);
    return EXIT.FAILURE;
  }
}
