// A deterministic workspace of test modules mixing every hazard with clean code, for the benchmark.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A small seeded generator (mulberry32): the same seed gives the same workspace. */
function random(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEADER = `import os
import time
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.test import TestCase
from rest_framework.test import APIClient
`;

const BLOCKS: ((i: number) => string)[] = [
  i =>
    `\n\nclass CacheTests${i}(TestCase):\n    def setUp(self):\n        cache.clear()\n\n    def test_cached_${i}(self):\n        cache.set("k${i}", ${i})\n        self.assertEqual(cache.get("k${i}"), ${i})\n`,
  i =>
    `\n\nclass ThrottleTests${i}(TestCase):\n    def test_throttled_${i}(self):\n        client = APIClient()\n        codes = [client.get("/api/ping/").status_code for _ in range(6)]\n        self.assertEqual(codes[-1], 429)\n`,
  i =>
    `\n\n@pytest.mark.parametrize("app_label", ["a${i}", "b${i}"])\ndef test_inline_model_${i}(app_label):\n    class Model${i}(models.Model):\n        class Meta:\n            app_label = app_label\n`,
  i =>
    `\n\ndef test_tmp_${i}():\n    with open("/tmp/report_${i}.json", "w") as fh:\n        fh.write("{}")\n    assert os.listdir("/tmp")\n`,
  i =>
    `\n\nclass SettingsTests${i}(TestCase):\n    def test_flag_${i}(self):\n        settings.FLAG_${i} = True\n        os.environ["FLAG_${i}"] = "1"\n        self.assertTrue(settings.FLAG_${i})\n`,
  i =>
    `\n\nclass PatchTests${i}(TestCase):\n    def setUp(self):\n        self.p = mock.patch("app.services.clock")\n        self.p.start()\n\n    def test_clock_${i}(self):\n        time.sleep(0)\n`,
  i =>
    `\n\ndef test_clean_${i}(tmp_path, monkeypatch):\n    monkeypatch.setenv("X", "${i}")\n    (tmp_path / "out.txt").write_text("${i}")\n    assert sum(range(${i % 50})) >= 0\n`,
  i =>
    `\n\nclass PlainTests${i}(TestCase):\n    def test_math_${i}(self):\n        values = [n * ${i} for n in range(10)]\n        self.assertEqual(len(values), 10)\n        self.assertIn(0, values)\n`,
];

/** A test module of about `lines` lines. */
export function testModule(next: () => number, lines: number, salt: number): string {
  let text = HEADER;
  for (let i = 0; text.split('\n').length < lines; i++)
    text += BLOCKS[Math.floor(next() * BLOCKS.length)]!(salt * 1000 + i);
  return text;
}

/** Writes `count` test modules (30–300 lines) under `dir`/app<k>/tests/. */
export function generateWorkspace(dir: string, count: number, seed = 42): void {
  const next = random(seed);
  fs.writeFileSync(path.join(dir, 'pytest.ini'), '[pytest]\nDJANGO_SETTINGS_MODULE = proj.settings\n');
  fs.mkdirSync(path.join(dir, 'proj'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'proj/settings.py'),
    'CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache"}}\nREST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"]}\n',
  );
  for (let i = 0; i < count; i++) {
    const folder = path.join(dir, `app${i % 100}`, 'tests');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `test_module_${i}.py`), testModule(next, 30 + Math.floor(next() * 270), i));
  }
}

export { random };

export interface TypingEdit {
  start: number;
  end: number;
  text: string;
  /** the same edit as tree-sitter's Edit wants it */
  tree: {
    startIndex: number;
    oldEndIndex: number;
    newEndIndex: number;
    startPosition: Point;
    oldEndPosition: Point;
    newEndPosition: Point;
  };
  /** the same edit as an LSP incremental change */
  lsp: {
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
    text: string;
  };
}
interface Point {
  row: number;
  column: number;
}

/**
 * `count` one-character edits spread evenly through `text`, as typing makes them: at the first
 * character of a line's code, a `#` or a space, and each one undone by the next edit (so the file
 * holds at most one typing error at a time, not a hundred). Positions are those of the text as it
 * is when the edit is applied.
 */
export function typingEdits(text: string, count: number): TypingEdit[] {
  const lines = text.split('\n');
  const offsets: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i]!.length + 1, i++) offsets.push(at);
  const edits: TypingEdit[] = [];
  for (let k = 0; edits.length < count; k++) {
    const row = Math.floor((k * (lines.length - 1)) / Math.ceil(count / 2));
    const column = lines[row]!.length - lines[row]!.trimStart().length;
    const at = offsets[row]! + column;
    const ch = k % 2 ? ' ' : '#';
    const p = { row, column },
      q = { row, column: column + 1 };
    edits.push({
      start: at,
      end: at,
      text: ch,
      tree: {
        startIndex: at,
        oldEndIndex: at,
        newEndIndex: at + 1,
        startPosition: p,
        oldEndPosition: p,
        newEndPosition: q,
      },
      lsp: { range: { start: { line: row, character: column }, end: { line: row, character: column } }, text: ch },
    });
    if (edits.length < count) {
      edits.push({
        start: at,
        end: at + 1,
        text: '',
        tree: {
          startIndex: at,
          oldEndIndex: at + 1,
          newEndIndex: at,
          startPosition: p,
          oldEndPosition: q,
          newEndPosition: p,
        },
        lsp: {
          range: { start: { line: row, character: column }, end: { line: row, character: column + 1 } },
          text: '',
        },
      });
    }
  }
  return edits;
}
