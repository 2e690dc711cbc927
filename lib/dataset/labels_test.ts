import assert from "node:assert/strict";
import { detectLabelRule, labelOf } from "./labels.ts";

Deno.test("labelOf() by file name: the letters a–z, lower-cased (the original's rule)", () => {
  assert.equal(labelOf("kanye3.jpg", "filename"), "kanye");
  assert.equal(labelOf("train/Carrie8.JPG", "filename"), "carrie");
  assert.equal(labelOf("test/bbt1.jpg", "filename"), "bbt");
  assert.equal(labelOf("Jean-Luc_2.png", "filename"), "jeanluc");
  assert.throws(() => labelOf("s7/1.pgm", "filename"), /empty label by filename rule/);
});

Deno.test("labelOf() by folder: the nearest folder that is not train/test", () => {
  assert.equal(labelOf("people/kanye/3.jpg", "folder"), "kanye");
  assert.equal(labelOf("s7/1.pgm", "folder"), "s7");
  assert.equal(labelOf("kanye/train/3.jpg", "folder"), "kanye");
  assert.equal(labelOf("Train/Test/kanye/3.jpg", "folder"), "kanye");
  assert.throws(() => labelOf("train/kanye3.jpg", "folder"), /empty label by folder rule/);
  assert.throws(() => labelOf("kanye3.jpg", "folder"), /empty label/);
});

Deno.test("detectLabelRule() picks folders only when photos sit in person folders", () => {
  assert.equal(detectLabelRule(["train/kanye3.jpg", "test/Zach2.jpg"]), "filename");
  assert.equal(detectLabelRule(["kanye3.jpg"]), "filename");
  assert.equal(detectLabelRule(["s1/1.pgm", "s7/1.pgm"]), "folder");
  assert.equal(detectLabelRule(["train/kanye/3.jpg"]), "folder");
});
