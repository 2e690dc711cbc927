import assert from "node:assert/strict";
import { detectLabelRule, labelOf, labelProblem } from "./labels.ts";

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

Deno.test("labelProblem() refuses DEL, C0 and C1 controls, bidirectional controls, slashes, blanks and 201 characters", () => {
  for (const ok of ["ada", "Zoë Ó Briain", "李雷", "a".repeat(200), "ada-2", "O'Neil"]) {
    assert.equal(labelProblem(ok), undefined, ok);
  }
  const cases: [string, string][] = [
    ["", "empty"],
    ["   ", "empty"],
    [" ada", "has surrounding white space"],
    ["ada\t", "holds U+0009"],
    ["ada\x1b[2J", "holds U+001B"],
    ["ada\x7f", "holds U+007F"],
    ["ada\x85", "holds U+0085"],
    ["ada\x9b31m", "holds U+009B"],
    ["ada\u202egpj", "holds U+202E"],
    ["\u202aada", "holds U+202A"],
    ["ada\u2066x\u2069", "holds U+2066"],
    ["ada\u2069", "holds U+2069"],
    ["ada\u200e", "holds U+200E"],
    ["ada\u200f", "holds U+200F"],
    ["ada\u061c", "holds U+061C"],
    ["a/b", "holds a slash (/)"],
    ["a\\b", "holds a slash (\\)"],
    ["a".repeat(201), "201 characters, at most 200"],
  ];
  for (const [label, why] of cases) assert.equal(labelProblem(label), why, JSON.stringify(label));
});

Deno.test("labelOf() by folder refuses a folder name the label rule refuses (a control or bidirectional character)", () => {
  assert.throws(() => labelOf("ada\x1b[31m/1.jpg", "folder"), /label by folder rule holds U\+001B: not a name/);
  assert.throws(() => labelOf("ada\u202e/1.jpg", "folder"), /holds U\+202E/);
  assert.throws(() => labelOf(" ada/1.jpg", "folder"), /surrounding white space/);
  assert.equal(labelOf("Zoë/1.jpg", "folder"), "Zoë");
});
