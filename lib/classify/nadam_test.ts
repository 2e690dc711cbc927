import assert from "node:assert/strict";
import { createNadam, nadamSchedule } from "./nadam.ts";
import { loadTfjs } from "../runtime/tfjs.ts";

Deno.test("nadamSchedule() gives Keras' momentum schedule (values worked out by hand)", () => {
  // μ_1 = 0.9 · (1 − ½ · 0.96^0.004) = 0.9 · 0.50008164 = 0.45007348
  // μ_2 = 0.9 · (1 − ½ · 0.96^0.008) = 0.9 · 0.50016326 = 0.45014694
  const s = nadamSchedule(1, 1, { beta1: 0.9, scheduleDecay: 0.004 });
  assert.ok(Math.abs(s.mu - 0.45007348) < 1e-8, String(s.mu));
  assert.ok(Math.abs(s.muNext - 0.45014694) < 1e-8, String(s.muNext));
  assert.ok(Math.abs(s.schedule - 0.45007348) < 1e-8);
  assert.ok(Math.abs(s.scheduleNext - 0.45007348 * 0.45014694) < 1e-8);
});

Deno.test("Nadam's first step on (x − 3)² from x = 0 moves x to 0.0021129 (worked out by hand)", async () => {
  // g = −6; m = −0.6; v = 0.036; g' = −6 / (1 − μ_1) = −10.910550;
  // m' = −0.6 / (1 − μ_1·μ_2) = −0.75244470; v' = 0.036 / (1 − 0.999) = 36;
  // m̄ = (1 − μ_1)·g' + μ_2·m' = −6 − 0.33871 = −6.33871; x = 0 − 0.002 · m̄ / (6 + 1e−7) = 0.0021129.
  const tf = await loadTfjs();
  const x = tf.variable(tf.scalar(0));
  const opt = await createNadam();
  try {
    opt.minimize(() => tf.square(tf.sub(x, 3)));
    assert.ok(Math.abs((await x.data())[0]! - 0.0021129) < 1e-6, String((await x.data())[0]));
  } finally {
    opt.dispose();
    x.dispose();
  }
});

Deno.test("Nadam matches a float64 reference of Keras' update over 5 steps on a 2-variable problem", async () => {
  const tf = await loadTfjs();
  // f(a, b) = (a − 1)² + 10 · (b + 2)², from a = 0.5, b = 0.
  const grad = (a: number, b: number) => [2 * (a - 1), 20 * (b + 2)];
  const lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  let p = [0.5, 0], m = [0, 0], v = [0, 0], sched = 1;
  const want: number[][] = [];
  for (let t = 1; t <= 5; t++) {
    const s = nadamSchedule(t, sched, { beta1: b1, scheduleDecay: 0.004 });
    sched = s.schedule;
    const g = grad(p[0]!, p[1]!);
    m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
    v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
    p = p.map((pi, i) => {
      const mBar = (1 - s.mu) * g[i]! / (1 - s.schedule) + s.muNext * m[i]! / (1 - s.scheduleNext);
      return pi - lr * mBar / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps);
    });
    want.push([...p]);
  }
  const a = tf.variable(tf.scalar(0.5)), b = tf.variable(tf.scalar(0));
  const opt = await createNadam({ learningRate: lr });
  const before = tf.memory().numTensors;
  try {
    for (let t = 0; t < 5; t++) {
      opt.minimize(() => tf.add(tf.square(tf.sub(a, 1)), tf.mul(tf.square(tf.add(b, 2)), 10)));
      const got = [(await a.data())[0]!, (await b.data())[0]!];
      got.forEach((g, i) => assert.ok(Math.abs(g - want[t]![i]!) < 1e-5, `step ${t + 1}: ${got} vs ${want[t]}`));
    }
    // Two flat slot variables (m and v) for the variables stepped together, and no other tensor left behind.
    assert.equal(tf.memory().numTensors - before, 2);
  } finally {
    opt.dispose();
    a.dispose();
    b.dispose();
  }
});
