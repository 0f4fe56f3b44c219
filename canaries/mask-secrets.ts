import type { ElementHandle, Frame, JSHandle, Page } from 'playwright-core';

/**
 * Masking of secrets in canary screenshots. The run's redactor decides what is secret (text it would
 * change shows a secret), so screenshots and text artifacts follow one list: the resolved secret
 * values, the suite's `redact` literals and the redactor's credential patterns. Only types come from
 * Playwright here, so the Synthetics bundle can use this file without carrying Playwright.
 */

/** Colour of the boxes drawn over masked elements (Playwright's default mask colour, spelled out). */
export const MASK_COLOR = '#FF00FF';
/** Set on the elements to mask while a screenshot is taken, removed afterwards. */
export const MASK_ATTRIBUTE = 'data-opsproof-mask';
/** Set on the container of the boxes drawn by {@link coverSecrets}. */
const OVERLAY_ATTRIBUTE = 'data-opsproof-mask-overlay';
/** Time to read one child frame before it is masked whole. */
const CHILD_FRAME_MS = 2_000;
/** Stands for a masked child inside its parent's text, so no secret matches across it. */
const MASKED_CHILD = '\u0000';

/** What the page reports about one element (in document order, parents before their children). */
export interface ElementText {
  /**
   * Its child text nodes (strings) and child elements (their index) in document order, the children of
   * an open shadow root first. Elements that paint no text (`script`, `style`, `template`, `head`, …)
   * are left out.
   */
  parts: (string | number)[];
  /** What a form control shows: its current value and placeholder, or the selected options' text. */
  shown?: string[];
  /** A password input: masked whatever it holds. */
  password?: boolean;
}

/** True when the text shows a secret. */
export type SecretTest = (text: string) => boolean;

/**
 * The redactor is the one judge: text it would change shows a secret. Passing the run's `redact`
 * keeps screenshots on the same secret list as every text artifact.
 */
export function createSecretTest(redact: (text: string) => string): SecretTest {
  return (text) => text.length > 0 && redact(text) !== text;
}

/**
 * The elements to mask, smallest first: an element is masked when its own text — its text nodes and
 * its unmasked children's text, joined — shows a secret, when a form control shows one, and always
 * for password inputs. A secret split over several elements (`<b>tok</b><i>en</i>`) masks the
 * smallest element holding all of it; an element whose secret sits in an already masked child is not
 * masked again, so the rest of the page stays readable.
 */
export function selectSecretElements(elements: readonly ElementText[], showsSecret: SecretTest): number[] {
  const texts: (string | undefined)[] = new Array(elements.length);
  const masked: boolean[] = new Array(elements.length).fill(false);
  for (let i = elements.length - 1; i >= 0; i--) {
    const element = elements[i];
    if (!element) continue;
    let text = '';
    for (const part of element.parts) {
      if (typeof part === 'string') text += part;
      else if (part > i && part < elements.length) {
        text += masked[part] ? MASKED_CHILD : (texts[part] ?? '');
        texts[part] = undefined; // Each element has one parent: its text is not needed again.
      }
    }
    masked[i] = element.password === true || showsSecret(text) || (element.shown ?? []).some(showsSecret);
    texts[i] = masked[i] ? undefined : text;
  }
  const selected: number[] = [];
  masked.forEach((m, i) => {
    if (m) selected.push(i);
  });
  return selected;
}

/** What {@link collectElementText} keeps in the page between calls. */
interface PageState {
  elements: Element[];
  texts: ElementText[];
}

// The functions below run inside the page (each frame). Playwright sends their source text, so they
// use nothing from this module and declare no named inner functions (a bundler's name helpers do not
// exist in the page).

/** Walks the frame's DOM (open shadow roots included) into {@link ElementText}s, keeping the elements. */
function collectElementText(): PageState {
  const elements: Element[] = [];
  const texts: ElementText[] = [];
  const unpainted = ['script', 'style', 'noscript', 'template', 'head'];
  const root = document.documentElement;
  if (!root) return { elements, texts };
  const stack: [Node, number][] = [[root, -1]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop() as [Node, number];
    if (node.nodeType === 3) {
      if (parent >= 0) texts[parent]?.parts.push((node as Text).data);
      continue;
    }
    if (node.nodeType !== 1) continue;
    const element = node as Element;
    const name = element.localName;
    if (unpainted.includes(name)) continue;
    const index = elements.length;
    const text: ElementText = { parts: [] };
    elements.push(element);
    texts.push(text);
    if (parent >= 0) texts[parent]?.parts.push(index);
    if (name === 'input') {
      const input = element as HTMLInputElement;
      if (input.type.toLowerCase() === 'password') text.password = true;
      text.shown = [input.value, input.placeholder];
    } else if (name === 'textarea') {
      const area = element as HTMLTextAreaElement;
      text.shown = [area.value, area.placeholder];
    } else if (name === 'select') {
      text.shown = Array.from((element as HTMLSelectElement).selectedOptions, (o) => o.text);
    }
    const children = [
      ...(element.shadowRoot ? Array.from(element.shadowRoot.childNodes) : []),
      ...Array.from(element.childNodes),
    ];
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i] as Node, index]);
  }
  return { elements, texts };
}

/**
 * Marks the chosen elements with the attribute. When an element's text paints outside its own box
 * (`display: contents`, overflowing text), the nearest ancestor whose box holds the text is marked
 * instead. Returns how many elements were not marked yet.
 */
function markElements(state: PageState, args: { ids: number[]; attribute: string }): number {
  let added = 0;
  for (const id of args.ids) {
    let element = state.elements[id];
    if (!element?.isConnected) continue;
    if (!['input', 'textarea', 'select'].includes(element.localName)) {
      const range = element.ownerDocument.createRange();
      range.selectNodeContents(element);
      const painted = range.getBoundingClientRect();
      if (painted.width > 0 || painted.height > 0) {
        let box = element.getBoundingClientRect();
        while (
          box.left > painted.left + 1 ||
          box.top > painted.top + 1 ||
          box.right < painted.right - 1 ||
          box.bottom < painted.bottom - 1
        ) {
          const parentNode = element.parentNode as (ParentNode & { host?: Element }) | null;
          const up: Element | null = element.parentElement ?? parentNode?.host ?? null;
          if (!up) break;
          element = up;
          box = element.getBoundingClientRect();
        }
      }
    }
    if (!element.hasAttribute(args.attribute)) {
      element.setAttribute(args.attribute, '');
      added += 1;
    }
  }
  return added;
}

function unmarkElements(state: PageState, attribute: string): void {
  for (const element of state.elements) element.removeAttribute(attribute);
}

/**
 * Draws an opaque box over every marked element, in a container appended to the document and raised
 * into the top layer (as a manual popover) where the browser supports it, so modal dialogs and other
 * popovers do not paint over it.
 */
function drawOverlay(state: PageState, args: { attribute: string; overlay: string; color: string }): void {
  const doc = document;
  const container = doc.createElement('div');
  container.setAttribute(args.overlay, '');
  container.style.cssText =
    'position:absolute;inset:auto;left:0;top:0;width:0;height:0;margin:0;padding:0;border:0;overflow:visible;background:transparent;z-index:2147483647;pointer-events:none;';
  doc.documentElement.appendChild(container);
  try {
    container.setAttribute('popover', 'manual');
    container.showPopover();
  } catch {
    // No popover support (or refused): the z-index above still covers everything outside the top layer.
  }
  const origin = container.getBoundingClientRect();
  for (const element of state.elements) {
    if (!element.hasAttribute(args.attribute) || !element.isConnected) continue;
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;
    const box = doc.createElement('div');
    box.style.cssText = `position:absolute;left:${rect.left - origin.left}px;top:${rect.top - origin.top}px;width:${rect.width}px;height:${rect.height}px;background:${args.color};margin:0;padding:0;border:0;`;
    container.appendChild(box);
  }
}

function removeOverlay(overlay: string): void {
  for (const element of Array.from(document.querySelectorAll(`[${overlay}]`))) element.remove();
}

/** One frame whose elements were marked. */
interface MarkedFrame {
  frame: Frame;
  state: JSHandle<PageState>;
}

interface Marks {
  frames: MarkedFrame[];
  /** Frames that could not be read: their element in the parent frame is marked whole. */
  owners: ElementHandle<Element>[];
  /** Elements marked in this pass that were not marked before. */
  added: number;
}

/**
 * Marks what shows a secret in every frame of the page. A child frame that cannot be read (navigating,
 * crashed) is masked whole through its element in the parent; the main frame failing throws, so no
 * screenshot is taken.
 */
async function markFrames(page: Page, showsSecret: SecretTest, marks: Marks): Promise<Marks> {
  const main = page.mainFrame();
  marks.added = 0;
  for (const frame of page.frames()) {
    if (frame.isDetached()) continue;
    let state: JSHandle<PageState> | undefined;
    try {
      const read = async () => {
        state = await frame.evaluateHandle(collectElementText);
        const texts = await state.evaluate((s) => s.texts);
        const ids = selectSecretElements(texts, showsSecret);
        return state.evaluate(markElements, { ids, attribute: MASK_ATTRIBUTE });
      };
      // A stuck child frame (busy script, another process) is masked whole rather than stalling the rest.
      marks.added +=
        frame === main ? await read() : await withDeadline(read(), CHILD_FRAME_MS, 'reading a frame');
      if (state) marks.frames.push({ frame, state });
    } catch (error) {
      // Best effort and not awaited: the frame may be stuck.
      const stale = state as JSHandle<PageState> | undefined;
      stale
        ?.evaluate(unmarkElements, MASK_ATTRIBUTE)
        .catch(() => undefined)
        .finally(() => stale.dispose().catch(() => undefined));
      if (frame === main) throw error;
      const owner = (await frame.frameElement()) as ElementHandle<Element>;
      marks.added += await owner.evaluate((element, attribute) => {
        if (element.hasAttribute(attribute)) return 0;
        element.setAttribute(attribute, '');
        return 1;
      }, MASK_ATTRIBUTE);
      marks.owners.push(owner);
    }
  }
  return marks;
}

function createMarks(): Marks {
  return { frames: [], owners: [], added: 0 };
}

async function clearMarks(marks: Marks): Promise<void> {
  for (const { state } of marks.frames) {
    await state.evaluate(unmarkElements, MASK_ATTRIBUTE).catch(() => undefined);
    await state.dispose().catch(() => undefined);
  }
  for (const owner of marks.owners) {
    await owner
      .evaluate((element, attribute) => element.removeAttribute(attribute), MASK_ATTRIBUTE)
      .catch(() => undefined);
    await owner.dispose().catch(() => undefined);
  }
}

/** Rejects after `ms`: evaluating in a page has no timeout of its own. */
function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface MaskedScreenshotOptions {
  /** What counts as secret; see {@link createSecretTest}. */
  showsSecret: SecretTest;
  /** Upper bound for marking and the screenshot together. @defaultValue 5000 */
  timeoutMs?: number;
  /** @defaultValue true */
  fullPage?: boolean;
  /** Screenshots taken before giving up on a page that keeps changing. @defaultValue 3 */
  attempts?: number;
}

/**
 * A PNG of the page with every element that shows a secret covered by a {@link MASK_COLOR} box
 * (Playwright's screenshot `mask`), in every frame. After the screenshot the page is checked again:
 * when something new shows a secret (the page changed meanwhile), the image is discarded and taken
 * again. Throws — and so no image exists — when the page cannot be read, keeps changing, or the time
 * runs out.
 */
export async function takeMaskedScreenshot(page: Page, options: MaskedScreenshotOptions): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const started = Date.now();
  const left = () => Math.max(1, timeoutMs - (Date.now() - started));
  const attempts = options.attempts ?? 3;
  const changing = new Error(
    `the page kept changing while masking secrets (${attempts} screenshots discarded)`,
  );
  let failure: unknown = changing;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const marks = createMarks();
    const recheck = createMarks();
    try {
      await withDeadline(markFrames(page, options.showsSecret, marks), left(), 'masking secrets');
      const png = await page.screenshot({
        fullPage: options.fullPage ?? true,
        timeout: left(),
        mask: marks.frames.map(({ frame }) => frame.locator(`[${MASK_ATTRIBUTE}]`)),
        maskColor: MASK_COLOR,
      });
      await withDeadline(markFrames(page, options.showsSecret, recheck), left(), 'checking the masks');
      if (recheck.added === 0) return png;
      failure = changing;
    } catch (error) {
      // Typically a navigation under way (a failed goto commits Chromium's error page): try once it settles.
      failure = error;
      await page.waitForLoadState('domcontentloaded', { timeout: left() }).catch(() => undefined);
    } finally {
      await clearMarks(recheck);
      await clearMarks(marks);
    }
  }
  throw failure;
}

/**
 * Covers every element that shows a secret with an opaque {@link MASK_COLOR} box drawn into the page
 * itself, for screenshots we do not take (CloudWatch Synthetics takes its own on a failed step). The
 * returned function removes the boxes and marks again.
 */
export async function coverSecrets(
  page: Page,
  showsSecret: SecretTest,
  timeoutMs = 5_000,
): Promise<() => Promise<void>> {
  const marks = createMarks();
  const args = { attribute: MASK_ATTRIBUTE, overlay: OVERLAY_ATTRIBUTE, color: MASK_COLOR };
  try {
    await withDeadline(markFrames(page, showsSecret, marks), timeoutMs, 'masking secrets');
    await withDeadline(
      Promise.all(marks.frames.map(({ state }) => state.evaluate(drawOverlay, args))),
      timeoutMs,
      'drawing masks',
    );
  } catch (error) {
    await clearMarks(marks);
    throw error;
  }
  return async () => {
    for (const { frame } of marks.frames) {
      await frame.evaluate(removeOverlay, OVERLAY_ATTRIBUTE).catch(() => undefined);
    }
    await clearMarks(marks);
  };
}
