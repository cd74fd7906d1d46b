// Multinomial logistic regression on fixed vectors, trained in plain TypeScript: the few-shot head.
// Objective (scikit-learn's LogisticRegression with C = 1 / l2): sum of cross-entropies + l2 / 2 * ||W||^2, the
// intercept not penalised. Convex and smooth, so Nesterov-accelerated gradient descent with step 1 / L converges;
// L bounds the Hessian: l2 + 1/2 * sum(||x||^2 + 1) (a softmax Hessian's eigenvalues are at most 1/2). Momentum
// restarts whenever a step goes uphill (O'Donoghue and Candes' adaptive restart), which keeps it from oscillating.

export interface LogisticHead {
  /** [classes][dim] */
  weights: number[][];
  bias: number[];
}

export interface FitOptions {
  /** Inverse regularisation strength (scikit-learn's 1 / C). Default 1. */
  l2?: number;
  maxIterations?: number;
  /** Stop when the gradient's max-abs entry falls below this (the objective sums over examples). Default 1e-4. */
  tolerance?: number;
}

export function logits(head: LogisticHead, x: ArrayLike<number>): number[] {
  return head.weights.map((w, c) => {
    let s = head.bias[c];
    for (let d = 0; d < w.length; d++) s += w[d] * x[d];
    return s;
  });
}

/** Fits on rows `x` (all the same width) with class indices `y` in 0..classes-1. */
export function fitLogistic(x: readonly ArrayLike<number>[], y: readonly number[], classes: number, options: FitOptions = {}): LogisticHead {
  const { l2 = 1, maxIterations = 3000, tolerance = 1e-4 } = options;
  const dim = x[0].length;
  const width = dim + 1; // the intercept is the last column
  const size = classes * width;
  let sq = 0;
  for (const row of x) for (let d = 0; d < dim; d++) sq += row[d] * row[d];
  const step = 1 / (l2 + 0.5 * (sq + x.length));
  let params = new Float64Array(size);
  let previous = new Float64Array(size);
  const probe = new Float64Array(size);
  const grad = new Float64Array(size);
  const p = new Float64Array(classes);
  let k = 0;
  for (let it = 1; it <= maxIterations; it++, k++) {
    const momentum = (k - 1) / (k + 2);
    for (let i = 0; i < size; i++) probe[i] = params[i] + Math.max(0, momentum) * (params[i] - previous[i]);
    gradient(probe, x, y, classes, dim, l2, grad, p);
    previous = params;
    params = new Float64Array(size);
    let worst = 0;
    let uphill = 0;
    for (let i = 0; i < size; i++) {
      params[i] = probe[i] - step * grad[i];
      worst = Math.max(worst, Math.abs(grad[i]));
      uphill += grad[i] * (params[i] - previous[i]);
    }
    if (worst < tolerance) break;
    if (uphill > 0) k = 0;
  }
  return {
    weights: Array.from({ length: classes }, (_, c) => Array.from(params.subarray(c * width, c * width + dim))),
    bias: Array.from({ length: classes }, (_, c) => params[c * width + dim]),
  };
}

function gradient(w: Float64Array, x: readonly ArrayLike<number>[], y: readonly number[], classes: number, dim: number, l2: number, out: Float64Array, p: Float64Array): void {
  const width = dim + 1;
  out.fill(0);
  x.forEach((row, n) => {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = w[c * width + dim];
      for (let d = 0; d < dim; d++) s += w[c * width + d] * row[d];
      p[c] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += p[c] = Math.exp(p[c] - max);
    for (let c = 0; c < classes; c++) {
      const g = p[c] / sum - (c === y[n] ? 1 : 0);
      for (let d = 0; d < dim; d++) out[c * width + d] += g * row[d];
      out[c * width + dim] += g;
    }
  });
  for (let c = 0; c < classes; c++) for (let d = 0; d < dim; d++) out[c * width + d] += l2 * w[c * width + d];
}
