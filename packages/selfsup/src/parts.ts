/**
 * Imports every built-in part so that its registry entries exist (what a config can name).
 * Commands that build from configs import this once.
 */
import './models/backbones/index.js';
import './data/register.js';
import './models/necks/densecl-neck.js';
import './models/necks/dino-neck.js';
import './models/necks/linear-neck.js';
import './models/necks/mocov2-neck.js';
import './models/necks/nonlinear-neck.js';
import './models/necks/swav-neck.js';
import './models/heads/contrastive-head.js';
import './models/heads/dino-head.js';
import './models/heads/latent-cross-correlation-head.js';
import './models/heads/latent-predict-head.js';
import './models/heads/mocov3-head.js';
import './models/heads/swav-head.js';
import './models/heads/vicreg-head.js';
import './models/losses/cosine-similarity.js';
import './models/losses/cross-correlation.js';
import './models/losses/dino.js';
import './models/losses/info-nce.js';
import './models/losses/ntxent.js';
import './models/losses/swav.js';
import './models/losses/vicreg.js';
import './models/algorithms/simclr.js';
import './models/algorithms/moco.js';
import './models/algorithms/mocov3.js';
import './models/algorithms/densecl.js';
import './models/algorithms/byol.js';
import './models/algorithms/simsiam.js';
import './models/algorithms/barlowtwins.js';
import './models/algorithms/swav.js';
import './models/algorithms/vicreg.js';
import './models/algorithms/dino.js';
import './engine/hooks/densecl-hook.js';
import './engine/hooks/simsiam-hook.js';
import './engine/hooks/time-budget-hook.js';
