import type * as Tf from "npm:@tensorflow/tfjs@4.22.0";

type NamedTensor = { name: string; tensor: Tf.Tensor };
import { loadTfjs, type Tfjs } from "../runtime/tfjs.ts";

/** Options of {@linkcode createNadam}, with Keras' defaults. */
export interface NadamOptions {
  /** Learning rate. Default 0.002 (Keras 2's Nadam default, which the original used). */
  readonly learningRate?: number;
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-7 (Keras' epsilon). */
  readonly epsilon?: number;
  /** Momentum schedule decay. Default 0.004. */
  readonly scheduleDecay?: number;
}

/** A tfjs optimizer with Nadam's state; `dispose()` frees its slot variables. */
export type Nadam = Tf.Optimizer;

/**
 * The scalar coefficients of Nadam's step `t` (1-based), Keras' formulation: the momentum
 * schedule μ_t = β1 · (1 − ½ · 0.96^(t · decay)) and its running product.
 *
 * @param t The step, from 1.
 * @param previousSchedule The product of μ_1 … μ_(t−1) (1 before the first step).
 * @param o Beta 1 and the schedule decay.
 * @returns μ_t, μ_(t+1), the product up to t and up to t+1.
 */
export function nadamSchedule(
  t: number,
  previousSchedule: number,
  o: { beta1: number; scheduleDecay: number },
): { mu: number; muNext: number; schedule: number; scheduleNext: number } {
  const mu = o.beta1 * (1 - 0.5 * 0.96 ** (t * o.scheduleDecay));
  const muNext = o.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * o.scheduleDecay));
  const schedule = previousSchedule * mu;
  return { mu, muNext, schedule, scheduleNext: schedule * muNext };
}

/**
 * Creates a Nadam optimizer (Adam with Nesterov momentum, Keras' formulation with its
 * momentum schedule; tfjs has none). Per variable, for step t:
 * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * m̄ = (1−μ_t)·g/(1−Π_t) + μ_(t+1)·m/(1−Π_(t+1)); p −= lr · m̄ / (√(v/(1−β2^t)) + ε),
 * where Π_t = μ_1·…·μ_t (see {@linkcode nadamSchedule}).
 *
 * @param options Learning rate, betas, epsilon, schedule decay.
 * @returns A tfjs optimizer (`minimize`, `applyGradients`, `dispose`).
 * @throws {RangeError} For a learning rate ≤ 0 or betas outside [0, 1).
 * @example
 * ```ts
 * import { createNadam } from "./nadam.ts";
 * import { loadTfjs } from "../runtime/tfjs.ts";
 * const tf = await loadTfjs();
 * const x = tf.variable(tf.scalar(0));
 * const opt = await createNadam({ learningRate: 0.1 });
 * for (let i = 0; i < 100; i++) opt.minimize(() => tf.square(tf.sub(x, 3)));
 * if (Math.abs((await x.data())[0]! - 3) > 0.2) throw new Error("did not approach 3");
 * opt.dispose();
 * x.dispose();
 * ```
 */
export async function createNadam(options: NadamOptions = {}): Promise<Nadam> {
  const tf = await loadTfjs();
  const o = {
    learningRate: options.learningRate ?? 0.002,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    epsilon: options.epsilon ?? 1e-7,
    scheduleDecay: options.scheduleDecay ?? 0.004,
  };
  if (!(o.learningRate > 0)) throw new RangeError(`Nadam learning rate must be > 0, got ${o.learningRate}`);
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1)) {
    throw new RangeError(`Nadam betas must be in [0, 1), got ${o.beta1}, ${o.beta2}`);
  }
  return new (nadamClass(tf))(o);
}

type NadamConfig = Required<NadamOptions>;
const classes = new WeakMap<object, new (o: NadamConfig) => Tf.Optimizer>();

function nadamClass(tf: Tfjs): new (o: NadamConfig) => Tf.Optimizer {
  const known = classes.get(tf);
  if (known) return known;
  class NadamOptimizer extends tf.Optimizer {
    static get className() {
      return "Nadam";
    }
    readonly #o: NadamConfig;
    #step = 0;
    #schedule = 1;
    /** Moments of each set of variables updated together, flat (keyed by their names). */
    #slots = new Map<string, { m: Tf.Variable; v: Tf.Variable }>();

    constructor(o: NadamConfig) {
      super();
      this.#o = o;
    }

    /**
     * One step for every variable at once: the gradients are flattened into one vector, the
     * moments kept flat, and the update split back, so a step costs a fixed handful of tfjs ops
     * instead of ~20 per variable (per-op overhead dominates small networks on WASM). The
     * arithmetic per element is unchanged.
     */
    override applyGradients(grads: Tf.NamedTensorMap | NamedTensor[]): void {
      const list = Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
      const pairs = list.flatMap(({ name, tensor }) => {
        const variable = tf.engine().registeredVariables[name];
        return variable && tensor != null ? [{ name, variable, g: tensor }] : [];
      });
      this.#step++;
      const o = this.#o;
      const t = this.#step;
      const s = nadamSchedule(t, this.#schedule, o);
      this.#schedule = s.schedule;
      if (pairs.length === 0) return this.incrementIterations();
      const key = pairs.map((p) => p.name).join("\n");
      const sizes = pairs.map((p) => p.variable.size);
      tf.tidy(() => {
        const g = pairs.length === 1
          ? tf.reshape(pairs[0]!.g, [-1])
          : tf.concat(pairs.map((p) => tf.reshape(p.g, [-1])));
        let slot = this.#slots.get(key);
        if (!slot) {
          slot = {
            m: tf.variable(tf.zerosLike(g), false, `nadam_m_${crypto.randomUUID()}`),
            v: tf.variable(tf.zerosLike(g), false, `nadam_v_${crypto.randomUUID()}`),
          };
          this.#slots.set(key, slot);
        }
        const m = tf.add(tf.mul(slot.m, o.beta1), tf.mul(g, 1 - o.beta1));
        const v = tf.add(tf.mul(slot.v, o.beta2), tf.mul(tf.square(g), 1 - o.beta2));
        slot.m.assign(m);
        slot.v.assign(v);
        const gPrime = tf.div(g, 1 - s.schedule);
        const mPrime = tf.div(m, 1 - s.scheduleNext);
        const vPrime = tf.div(v, 1 - o.beta2 ** t);
        const mBar = tf.add(tf.mul(gPrime, 1 - s.mu), tf.mul(mPrime, s.muNext));
        const update = tf.div(tf.mul(mBar, o.learningRate), tf.add(tf.sqrt(vPrime), o.epsilon));
        const parts = pairs.length === 1 ? [update] : tf.split(update, sizes);
        pairs.forEach((p, i) => p.variable.assign(tf.sub(p.variable, tf.reshape(parts[i]!, p.variable.shape))));
      });
      this.incrementIterations();
    }

    override dispose(): void {
      for (const { m, v } of this.#slots.values()) {
        m.dispose();
        v.dispose();
      }
      this.#slots.clear();
      super.dispose();
    }

    override getConfig(): Tf.serialization.ConfigDict {
      return { ...this.#o };
    }

    override getWeights(): Promise<NamedTensor[]> {
      return Promise.resolve([]);
    }

    override setWeights(_weights: NamedTensor[]): Promise<void> {
      return Promise.resolve();
    }
  }
  classes.set(tf, NadamOptimizer);
  return NadamOptimizer;
}
