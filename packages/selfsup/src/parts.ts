/**
 * Imports every built-in part so that its registry entries exist (what a config can name).
 * Commands that build from configs import this once.
 */
import './models/backbones/index.js';
import './data/register.js';
