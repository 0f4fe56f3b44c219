import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import JSZip from 'jszip';
import { repoPath } from '../core/tools.ts';

/** A file of a run directory as the scan reads it: its name, its text, each member of a zip. */
export interface ScannedText {
  path: string;
  text: string;
}

/** Every file under `dir` with its text: file names too, zip members (Playwright traces) unpacked; PNGs by name only. */
export async function readArtifacts(dir: string): Promise<ScannedText[]> {
  const out: ScannedText[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const path = relative(dir, file);
    out.push({ path: `${path} (name)`, text: path });
    const bytes = readFileSync(file);
    if (extname(file) === '.zip') {
      const zip = await JSZip.loadAsync(bytes);
      for (const member of Object.values(zip.files)) {
        if (!member.dir) out.push({ path: `${path}:${member.name}`, text: await member.async('string') });
      }
    } else if (extname(file) !== '.png') {
      out.push({ path, text: bytes.toString('utf8') });
    }
  }
  return out;
}

/** Where a machine path shows: the file and a little context around the needle. */
export function findMachinePaths(files: readonly ScannedText[], needles: readonly string[]): string[] {
  const hits: string[] = [];
  for (const { path, text } of files) {
    for (const needle of needles) {
      const at = text.indexOf(needle);
      if (at >= 0) hits.push(`${path}: …${text.slice(Math.max(0, at - 40), at + needle.length + 40)}…`);
    }
  }
  return hits;
}

/** The machine's own paths: the given folders, the opsproof checkout, `$HOME` and the temp folder. */
export function machineNeedles(...dirs: string[]): string[] {
  const home = homedir();
  return [
    ...dirs,
    repoPath(),
    ...(home.length > 1 ? [home] : []),
    `${tmpdir()}/`,
    `${realpathSync(tmpdir())}/`,
    '/tmp/',
  ];
}
