/**
 * Linear support vector machines with the objective of scikit-learn's `LinearSVC` (liblinear's
 * L2-regularised squared-hinge SVC; Fan et al. 2008, "LIBLINEAR: A Library for Large Linear
 * Classification"), the classifier of the VOC07 SVM benchmark (Goyal et al. 2019, "Scaling and
 * Benchmarking Self-Supervised Visual Representation Learning"; MMSelfSup's `svm_voc07`).
 *
 * For each of C binary problems (one column each), with features `x (N, D)` augmented by a
 * constant column `s` (liblinear's `intercept_scaling`, so the bias is regularised as LinearSVC's
 * is), labels `y (N, C)` in {−1, +1} and per-sample costs `c (N, C)` (LinearSVC's `C` times the
 * class weight; 0 leaves a sample out):
 *
 *     min_w  ½‖w‖² + Σ_i c_i · max(0, 1 − y_i w·[x_i, s])²
 *
 * The objective is strictly convex and once differentiable, so its minimiser is unique and any
 * converged solver agrees with liblinear's dual coordinate descent. This one is the finite Newton
 * method (Mangasarian 2002; Keerthi & DeCoste 2005): Newton steps with the generalised Hessian
 * `I + 2 Xᵀ diag(c · [margin > 0]) X`, solved by conjugate gradients with a Jacobi preconditioner
 * (as liblinear's trust-region Newton does since 2.20), and an Armijo backtracking line search.
 * All C problems are solved at once: the work is matrix products on libtorch tensors (float64),
 * deterministic, and fast on a GPU.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

export interface LinearSVMOptions {
  /** The constant feature appended for the bias (LinearSVC's `intercept_scaling`, default 1). */
  interceptScaling?: number;
  /** Stop when every column's gradient norm is below `tol` × its norm at w = 0 (default 1e-7). */
  tol?: number;
  /** Newton iterations at most (default 100). */
  maxIter?: number;
  /** Conjugate-gradient iterations per Newton step at most (default 500). */
  maxCgIter?: number;
}

/** A fit: `coef (D + 1, C)` float64, the last row the weight of the constant feature. */
export interface LinearSVMFit {
  coef: Tensor;
  /** Newton iterations taken. */
  iterations: number;
  /** Whether every column met `tol`. */
  converged: boolean;
}

/**
 * The features of a set of SVM problems, augmented once: fit any labels and costs over the same
 * rows (cost sweeps, cross-validation folds, class subsets). Call `dispose()` when done.
 */
export class LinearSVMSolver {
  /** `(N, D + 1)` float64: the features and the constant column. */
  readonly xa: Tensor;
  /** `xa²`, for the preconditioner. */
  private readonly xa2: Tensor;
  readonly interceptScaling: number;

  constructor(
    x: Tensor,
    readonly opts: LinearSVMOptions = {},
  ) {
    if (x.dim() !== 2) throw new RangeError(`LinearSVMSolver: features must be (N, D), got shape [${x.shape}]`);
    const s = opts.interceptScaling ?? 1;
    if (!(s > 0 && Number.isFinite(s))) throw new RangeError(`LinearSVMSolver: interceptScaling must be positive, got ${s}`);
    this.interceptScaling = s;
    const [xa, xa2] = torch.tidy(() => {
      const xd = x.double();
      const a = torch.cat([xd, torch.full([x.shape[0], 1], s, { dtype: 'float64', device: x.device })], 1);
      return [a, a.square()];
    });
    this.xa = xa;
    this.xa2 = xa2;
  }

  get numFeatures(): number {
    return this.xa.shape[1] - 1;
  }

  /** `x (M, D)` → decision values `(M, C)` = x·w + s·w_bias (LinearSVC's `decision_function`). */
  decision(coef: Tensor, x: Tensor): Tensor {
    return torch.tidy(() => {
      const d = this.numFeatures;
      const w = coef.narrow(0, 0, d);
      const b = coef.narrow(0, d, 1).mul(this.interceptScaling);
      return x.to({ device: coef.device, dtype: 'float64' }).mm(w).add(b);
    });
  }

  /** The objective per column, `(C)`. */
  objective(coef: Tensor, y: Tensor, cost: Tensor): Tensor {
    return torch.tidy(() => {
      const m = torch.tidy(() => this.xa.mm(coef).mul(y).neg().add(1).clampMin(0));
      return coef.square().sum(0).mul(0.5).add(m.square().mul(cost).sum(0));
    });
  }

  /**
   * Minimises the objective for labels `y (N, C)` (±1) and costs `cost (N, C)` (≥ 0), from `init`
   * `(D + 1, C)` (warm start, e.g. the fit at a neighbouring cost) or zero.
   */
  fit(y: Tensor, cost: Tensor, init?: Tensor): LinearSVMFit {
    const [n, d1] = this.xa.shape;
    for (const [name, t] of [
      ['y', y],
      ['cost', cost],
    ] as const)
      if (t.dim() !== 2 || t.shape[0] !== n)
        throw new RangeError(`LinearSVMSolver.fit: ${name} must be (${n}, C), got shape [${t.shape}]`);
    if (y.shape[1] !== cost.shape[1])
      throw new RangeError(`LinearSVMSolver.fit: y [${y.shape}] and cost [${cost.shape}] differ in C`);
    const c = y.shape[1];
    if (init && (init.shape[0] !== d1 || init.shape[1] !== c))
      throw new RangeError(`LinearSVMSolver.fit: init must be (${d1}, ${c}), got shape [${init.shape}]`);
    const tol = this.opts.tol ?? 1e-7;
    const maxIter = this.opts.maxIter ?? 100;
    const device = this.xa.device;
    const [yd, cd] = torch.tidy(() => [y.to({ device, dtype: 'float64' }), cost.to({ device, dtype: 'float64' })]);
    let w = init
      ? torch.tidy(() => init.to({ device, dtype: 'float64' }).clone())
      : torch.zeros([d1, c], { dtype: 'float64', device });
    try {
      // ‖∇f(0)‖ = ‖2 Xᵀ (c ⊙ y)‖ per column: the scale of the stopping rule, as liblinear's.
      const g0 = torch.tidy(() => this.xa.t().mm(cd.mul(yd)).mul(2).square().sum(0).sqrt());
      let iterations = 0;
      let converged = false;
      try {
        for (; iterations < maxIter; iterations++) {
          const step = torch.tidy(() => this.newtonStep(w, yd, cd, g0, tol));
          if (!step) {
            converged = true;
            break;
          }
          w.dispose();
          w = step;
        }
        if (!converged) converged = torch.tidy(() => !this.gradient(w, yd, cd).gnorm.gt(g0.mul(tol)).any().item());
      } finally {
        g0.dispose();
      }
      return { coef: w, iterations, converged };
    } catch (e) {
      w.dispose();
      throw e;
    } finally {
      yd.dispose();
      cd.dispose();
    }
  }

  /** The margins, the cost-weighted active set, the gradient at `w` and its norm per column. */
  private gradient(w: Tensor, y: Tensor, cost: Tensor): { margin: Tensor; active: Tensor; grad: Tensor; gnorm: Tensor } {
    const margin = this.xa.mm(w).mul(y).neg().add(1);
    const active = margin.gt(0).double().mul(cost);
    const grad = w.sub(this.xa.t().mm(active.mul(y).mul(margin)).mul(2));
    return { margin, active, grad, gnorm: grad.square().sum(0).sqrt() };
  }

  /** One Newton step from `w`: the next iterate, or null when every column has converged. */
  private newtonStep(w: Tensor, y: Tensor, cost: Tensor, g0: Tensor, tol: number): Tensor | null {
    const { margin, active, grad, gnorm } = this.gradient(w, y, cost);
    // A column with ∇f(0) = 0 (no cost at all) is solved by w = 0.
    const unconverged = gnorm.gt(g0.mul(tol));
    if (!unconverged.any().item()) return null;
    const mask = unconverged.double();
    const precond = this.xa2.t().mm(active).mul(2).add(1);
    // The forcing term of inexact Newton (Eisenstat & Walker): loose far away, tight near the optimum.
    const rel = gnorm.div(g0.clampMin(1e-300));
    const cgTol = rel.sqrt().clampMax(0.1).mul(gnorm);
    const dir = this.conjugateGradient(active, grad.neg().mul(mask), precond, cgTol, mask);
    return this.lineSearch(w, y, cost, margin, grad, dir);
  }

  /** Solves `(I + 2 Xᵀ diag(a) X) p = b` per column by preconditioned CG, columns with mask 0 left at 0. */
  private conjugateGradient(active: Tensor, b: Tensor, precond: Tensor, tol: Tensor, mask: Tensor): Tensor {
    const hv = (v: Tensor) =>
      v.add(
        this.xa
          .t()
          .mm(active.mul(this.xa.mm(v)))
          .mul(2),
      );
    const maxCg = this.opts.maxCgIter ?? 500;
    let p = torch.zeros(b.shape, { dtype: 'float64', device: b.device });
    let r = b;
    const z = r.div(precond);
    let dir = z;
    let rz = r.mul(z).sum(0);
    for (let k = 0; k < maxCg; k++) {
      const next = torch.tidy(() => {
        const q = hv(dir);
        const pq = dir.mul(q).sum(0);
        const alpha = torch.where(pq.gt(0), rz.div(pq.clampMin(1e-300)), torch.zerosLike(pq)).mul(mask);
        const p2 = p.add(dir.mul(alpha));
        const r2 = r.sub(q.mul(alpha));
        const open = r2.square().sum(0).sqrt().gt(tol).logicalAnd(mask.gt(0));
        const z2 = r2.div(precond);
        const rz2 = r2.mul(z2).sum(0);
        const beta = torch.where(rz.gt(0), rz2.div(rz.clampMin(1e-300)), torch.zerosLike(rz));
        return { p: p2, r: r2, dir: z2.add(dir.mul(beta)), rz: rz2, done: !open.any().item() };
      });
      p = next.p;
      r = next.r;
      dir = next.dir;
      rz = next.rz;
      if (next.done) break;
    }
    return p;
  }

  /** Armijo backtracking along `dir` per column (step 1 first: the Newton step of a piecewise quadratic). */
  private lineSearch(w: Tensor, y: Tensor, cost: Tensor, margin: Tensor, grad: Tensor, dir: Tensor): Tensor {
    const yz = this.xa.mm(dir).mul(y);
    const f = (t: Tensor) =>
      w
        .add(dir.mul(t))
        .square()
        .sum(0)
        .mul(0.5)
        .add(margin.sub(yz.mul(t)).clampMin(0).square().mul(cost).sum(0));
    const f0 = f(torch.zeros([1, w.shape[1]], { dtype: 'float64', device: w.device }));
    const slope = grad.mul(dir).sum(0);
    let t = torch.ones([1, w.shape[1]], { dtype: 'float64', device: w.device });
    for (let k = 0; k < 40; k++) {
      const ok = f(t).le(f0.add(slope.mul(t.squeeze(0)).mul(1e-4)));
      if (ok.all().item()) break;
      t = torch.where(ok.unsqueeze(0), t, t.mul(0.5));
    }
    return w.add(dir.mul(t));
  }

  dispose(): void {
    this.xa.dispose();
    this.xa2.dispose();
  }
}
