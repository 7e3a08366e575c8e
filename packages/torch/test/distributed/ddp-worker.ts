// One rank of the DDP equivalence test: trains SmallNet with SyncBatchNorm on its half of each batch.
import * as torch from '../../src/index.js';
import { BATCH, SmallNet, train } from './ddp-model.js';

torch.distributed.initProcessGroup();
const rank = torch.distributed.getRank();
torch.manualSeed(1234 + rank); // different on purpose: DDP must broadcast rank 0's weights
const ddp = new torch.nn.DistributedDataParallel(new SmallNet(true), { bucketCapMb: 0.0005 });
const result = train(ddp, [rank * BATCH, BATCH], () => ddp.syncGradients());
torch.distributed.destroyProcessGroup();
console.log(JSON.stringify(result));
