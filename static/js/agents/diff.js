// A line diff of a file an agent changes, for its tool card. No DOM: tested under `node --test`.

// Past this many lines on either side, a diff is shown as the old lines then the new ones.
const DIFF_LINE_LIMIT = 400;

// A file's lines; the newline that ends the last one does not start another.
export function linesOf(text) {
  return text ? text.replace(/\n$/, "").split("\n") : [];
}

// A line diff by longest common subsequence: short files (what agents edit) read like `diff -u`.
export function diffLines(before, after) {
  if (before.length > DIFF_LINE_LIMIT || after.length > DIFF_LINE_LIMIT) {
    return [...before.map((line) => ["-", line]), ...after.map((line) => ["+", line])];
  }
  const common = Array.from({ length: before.length + 1 }, () => new Array(after.length + 1).fill(0));
  for (let i = before.length - 1; i >= 0; i -= 1) {
    for (let j = after.length - 1; j >= 0; j -= 1) {
      common[i][j] = before[i] === after[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const lines = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) {
      lines.push([" ", before[i]]);
      i += 1;
      j += 1;
    } else if (i < before.length && (j === after.length || common[i + 1][j] >= common[i][j + 1])) {
      lines.push(["-", before[i]]);  // what goes, then what comes, as `diff -u` shows a change
      i += 1;
    } else {
      lines.push(["+", after[j]]);
      j += 1;
    }
  }
  return lines;
}
