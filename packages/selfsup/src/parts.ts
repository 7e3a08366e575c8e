/**
 * Imports every built-in part so that its registry entries exist (what a config can name).
 * Commands that build from configs import this once.
 */
import './models/backbones/index.js';
import './data/register.js';
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
