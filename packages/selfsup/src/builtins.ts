/**
 * The manifest of built-in parts: every backbone, neck, head, loss, target generator, algorithm, dataset,
 * transform, pipeline step, hook, optimizer and parameter scheduler a config can name. Importing
 * this module registers them, once (ES modules run once per thread); the CLI, the package entry
 * and the loader's worker threads import it. Adding a part in-tree is its file plus one line here.
 * The lists by kind are also the source of the config types (`src/part-configs.ts`): a config may
 * name any part listed here, with its options typed by the part's schema.
 */
import { type Part, registerParts } from './core/registry.js';
import { DATASET_PARTS, PIPELINE_STEP_PARTS, TRANSFORM_PARTS } from './data/register.js';
import { checkpointHookPart } from './engine/hooks/checkpoint-hook.js';
import { denseCLHookPart } from './engine/hooks/densecl-hook.js';
import { knnMonitorHookPart } from './engine/hooks/knn-monitor-hook.js';
import { loggerHookPart } from './engine/hooks/logger-hook.js';
import { simSiamHookPart } from './engine/hooks/simsiam-hook.js';
import { fitCheckHookPart } from './engine/hooks/fit-check-hook.js';
import { timeBudgetHookPart } from './engine/hooks/time-budget-hook.js';
import { progressiveResizeHookPart } from './engine/hooks/progressive-resize-hook.js';
import { deepClusterHookPart } from './engine/hooks/deepcluster-hook.js';
import { deepClusterPart } from './models/algorithms/deepcluster.js';
import { clsHeadPart } from './models/heads/cls-head.js';
import { avgPool2dNeckPart } from './models/necks/avgpool2d-neck.js';
import { OPTIMIZER_PARTS } from './engine/optimizers.js';
import { PARAM_SCHEDULER_PARTS } from './engine/param-schedulers.js';
import { beitPart } from './models/algorithms/beit.js';
import { caePart } from './models/algorithms/cae.js';
import { beitVitPart } from './models/backbones/beit-vit.js';
import { caeVitPart } from './models/backbones/cae-vit.js';
import { beitV1HeadPart } from './models/heads/beitv1-head.js';
import { caeHeadPart } from './models/heads/cae-head.js';
import { beitV2HeadPart } from './models/heads/beitv2-head.js';
import { beitLossPart } from './models/losses/beit-loss.js';
import { caeLossPart } from './models/losses/cae-loss.js';
import { beitV2NeckPart } from './models/necks/beitv2-neck.js';
import { caeNeckPart } from './models/necks/cae-neck.js';
import { dallEPart } from './models/target-generators/dall-e.js';
import { vqkdPart } from './models/target-generators/vqkd.js';
import { barlowTwinsPart } from './models/algorithms/barlowtwins.js';
import { byolPart } from './models/algorithms/byol.js';
import { denseCLPart } from './models/algorithms/densecl.js';
import { dinoPart } from './models/algorithms/dino.js';
import { maePart } from './models/algorithms/mae.js';
import { pixmimPart } from './models/algorithms/pixmim.js';
import { evaPart } from './models/algorithms/eva.js';
import { milanPart } from './models/algorithms/milan.js';
import { mffPart } from './models/algorithms/mff.js';
import { itpnPart } from './models/algorithms/itpn.js';
import { npidPart } from './models/algorithms/npid.js';
import { odcPart } from './models/algorithms/odc.js';
import { odcNeckPart } from './models/necks/odc-neck.js';
import { odcHookPart } from './engine/hooks/odc-hook.js';
import { mixmimPart } from './models/algorithms/mixmim.js';
import { maskFeatPart } from './models/algorithms/maskfeat.js';
import { mocoPart } from './models/algorithms/moco.js';
import { mocoV3Part } from './models/algorithms/mocov3.js';
import { simclrPart } from './models/algorithms/simclr.js';
import { simmimPart } from './models/algorithms/simmim.js';
import { simsiamPart } from './models/algorithms/simsiam.js';
import { sparkPart } from './models/algorithms/spark.js';
import { swavPart } from './models/algorithms/swav.js';
import { vicregPart } from './models/algorithms/vicreg.js';
import { relativeLocPart } from './models/algorithms/relative-loc.js';
import { rotationPredPart } from './models/algorithms/rotation-pred.js';
import { maskFeatVitPart } from './models/backbones/maskfeat-vit.js';
import { mocoV3VitPart } from './models/backbones/mocov3-vit.js';
import { milanVitPart } from './models/backbones/milan-vit.js';
import { mffVitPart } from './models/backbones/mff-vit.js';
import { hivitPart } from './models/backbones/hivit.js';
import { itpnHivitPart } from './models/backbones/itpn-hivit.js';
import { mixmimTransformerPart } from './models/backbones/mixmim.js';
import { resnetDepthParts, resnetPart, resnetV1dPart } from './models/backbones/resnet.js';
import { sparseResNetPart } from './models/backbones/sparse-resnet.js';
import { convnextArchParts, convnextPart } from './models/backbones/convnext.js';
import { sparseConvnextPart } from './models/backbones/sparse-convnext.js';
import { simmimSwinPart, swinArchParts, swinPart } from './models/backbones/swin.js';
import { maeVitPart, simmimVitPart, vitArchParts, vitPart } from './models/backbones/vit.js';
import { contrastiveHeadPart } from './models/heads/contrastive-head.js';
import { dinoHeadPart } from './models/heads/dino-head.js';
import { latentCrossCorrelationHeadPart } from './models/heads/latent-cross-correlation-head.js';
import { latentPredictHeadPart } from './models/heads/latent-predict-head.js';
import { maePretrainHeadPart } from './models/heads/mae-pretrain-head.js';
import { itpnClipHeadPart } from './models/heads/itpn-clip-head.js';
import { milanPretrainHeadPart } from './models/heads/milan-head.js';
import { maskFeatPretrainHeadPart } from './models/heads/maskfeat-head.js';
import { mixmimPretrainHeadPart } from './models/heads/mixmim-head.js';
import { mocoV3HeadPart } from './models/heads/mocov3-head.js';
import { simmimHeadPart } from './models/heads/simmim-head.js';
import { sparkPretrainHeadPart } from './models/heads/spark-head.js';
import { swavHeadPart } from './models/heads/swav-head.js';
import { vicregHeadPart } from './models/heads/vicreg-head.js';
import { cosineSimilarityLossPart } from './models/losses/cosine-similarity.js';
import { crossCorrelationLossPart } from './models/losses/cross-correlation.js';
import { crossEntropyLossPart } from './models/losses/cross-entropy.js';
import { pixelReconstructionLossPart } from './models/losses/pixel-reconstruction.js';
import { swavLossPart } from './models/losses/swav.js';
import { vicregLossPart } from './models/losses/vicreg.js';
import { denseCLNeckPart } from './models/necks/densecl-neck.js';
import { dinoNeckPart } from './models/necks/dino-neck.js';
import { linearNeckPart } from './models/necks/linear-neck.js';
import { maePretrainDecoderPart } from './models/necks/mae-pretrain-decoder.js';
import { itpnPretrainDecoderPart } from './models/necks/itpn-pretrain-decoder.js';
import { milanPretrainDecoderPart } from './models/necks/milan-pretrain-decoder.js';
import { mixmimPretrainDecoderPart } from './models/necks/mixmim-pretrain-decoder.js';
import { mocoV2NeckPart } from './models/necks/mocov2-neck.js';
import { nonLinearNeckPart } from './models/necks/nonlinear-neck.js';
import { relativeLocNeckPart } from './models/necks/relative-loc-neck.js';
import { simmimLinearDecoderPart } from './models/necks/simmim-linear-decoder.js';
import { sparkLightDecoderPart } from './models/necks/spark-light-decoder.js';
import { swavNeckPart } from './models/necks/swav-neck.js';
import { lowFreqTargetGeneratorPart } from './models/target-generators/low-freq-target-generator.js';
import { hogGeneratorPart } from './models/target-generators/hog-generator.js';
import { clipGeneratorPart } from './models/target-generators/clip-generator.js';

/** The built-in backbones. */
export const BACKBONE_PARTS = [
  resnetPart,
  resnetV1dPart,
  ...resnetDepthParts,
  vitPart,
  ...vitArchParts,
  maeVitPart,
  maskFeatVitPart,
  mocoV3VitPart,
  milanVitPart,
  mffVitPart,
  hivitPart,
  itpnHivitPart,
  mixmimTransformerPart,
  simmimVitPart,
  swinPart,
  simmimSwinPart,
  ...swinArchParts,
  beitVitPart,
  caeVitPart,
  sparseResNetPart,
  convnextPart,
  ...convnextArchParts,
  sparseConvnextPart,
] as const;

/** The built-in necks. */
export const NECK_PARTS = [
  nonLinearNeckPart,
  linearNeckPart,
  mocoV2NeckPart,
  denseCLNeckPart,
  swavNeckPart,
  dinoNeckPart,
  maePretrainDecoderPart,
  itpnPretrainDecoderPart,
  milanPretrainDecoderPart,
  simmimLinearDecoderPart,
  beitV2NeckPart,
  caeNeckPart,
  sparkLightDecoderPart,
  mixmimPretrainDecoderPart,
  relativeLocNeckPart,
  avgPool2dNeckPart,
  odcNeckPart,
] as const;

/** The built-in heads. */
export const HEAD_PARTS = [
  contrastiveHeadPart,
  latentPredictHeadPart,
  latentCrossCorrelationHeadPart,
  mocoV3HeadPart,
  swavHeadPart,
  vicregHeadPart,
  dinoHeadPart,
  maePretrainHeadPart,
  milanPretrainHeadPart,
  itpnClipHeadPart,
  maskFeatPretrainHeadPart,
  simmimHeadPart,
  beitV1HeadPart,
  beitV2HeadPart,
  caeHeadPart,
  sparkPretrainHeadPart,
  mixmimPretrainHeadPart,
  clsHeadPart,
] as const;

/** The built-in losses. */
export const LOSS_PARTS = [
  cosineSimilarityLossPart,
  crossCorrelationLossPart,
  swavLossPart,
  vicregLossPart,
  pixelReconstructionLossPart,
  beitLossPart,
  caeLossPart,
  crossEntropyLossPart,
] as const;

/** The built-in target generators of masked image modelling. */
export const TARGET_GENERATOR_PARTS = [
  lowFreqTargetGeneratorPart,
  hogGeneratorPart,
  clipGeneratorPart,
  dallEPart,
  vqkdPart,
] as const;

/** The built-in algorithms. */
export const ALGORITHM_PARTS = [
  simclrPart,
  mocoPart,
  mocoV3Part,
  byolPart,
  simsiamPart,
  barlowTwinsPart,
  swavPart,
  denseCLPart,
  vicregPart,
  dinoPart,
  maePart,
  pixmimPart,
  evaPart,
  milanPart,
  mffPart,
  itpnPart,
  mixmimPart,
  maskFeatPart,
  simmimPart,
  beitPart,
  caePart,
  sparkPart,
  rotationPredPart,
  relativeLocPart,
  deepClusterPart,
  npidPart,
  odcPart,
] as const;

/** The built-in hooks (the `customHooks` a config may name). */
export const HOOK_PARTS = [
  loggerHookPart,
  checkpointHookPart,
  knnMonitorHookPart,
  denseCLHookPart,
  simSiamHookPart,
  timeBudgetHookPart,
  fitCheckHookPart,
  progressiveResizeHookPart,
  deepClusterHookPart,
  odcHookPart,
] as const;

export { DATASET_PARTS, OPTIMIZER_PARTS, PARAM_SCHEDULER_PARTS, PIPELINE_STEP_PARTS, TRANSFORM_PARTS };

/** Every built-in part. */
export const BUILTIN_PARTS: readonly Part<unknown>[] = [
  ...BACKBONE_PARTS,
  ...NECK_PARTS,
  ...HEAD_PARTS,
  ...LOSS_PARTS,
  ...TARGET_GENERATOR_PARTS,
  ...ALGORITHM_PARTS,
  ...DATASET_PARTS,
  ...TRANSFORM_PARTS,
  ...PIPELINE_STEP_PARTS,
  ...HOOK_PARTS,
  ...OPTIMIZER_PARTS,
  ...PARAM_SCHEDULER_PARTS,
];

registerParts(BUILTIN_PARTS);
