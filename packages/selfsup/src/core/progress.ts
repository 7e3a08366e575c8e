/** Where training is: the one piece of runner state that models may read. */

/** Where training is: what schedules inside an algorithm (momentum, temperature warm-up) read. */
export interface TrainProgress {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based global iteration (counted across epochs). */
  iter: number;
  maxEpochs: number;
  maxIters: number;
}
