// A MIME splitter for a message held whole in memory, built for speed: where mailsplit's
// Splitter looks at every byte in JavaScript and hands every line through a stream, this
// one finds line ends with Buffer.indexOf, looks only at the lines that can be delimiters
// (they start with "--"), and hands each leaf's body over as one slice of the message.
// It gives exactly what mailsplit gives for the same message in one chunk (the
// differential test runs both): the same nodes in the same order, the same bodies, the
// same refusals. The rules below are mailsplit's (@zone-eu/mailsplit 1.x
// message-splitter.js), restated over a whole buffer; the header blocks are parsed by
// mailsplit's own MimeNode, so names, types and part numbers are its own.
import MimeNodeClass from '@zone-eu/mailsplit/lib/mime-node.js';
import type { MimeNode } from '@zone-eu/mailsplit/lib/types.js';

const MimeNodeConstructor = MimeNodeClass as unknown as new (parent: MimeNode | false, config: object) => MimeNode & {
  addHeaderChunk(line: Buffer): boolean;
  headerCost(extra?: number): number;
  parseHeaders(): void;
  _boundary: Buffer | false;
  _parentBoundaryOwner: MimeNode | false;
  _headerlen: number;
};
type Node = InstanceType<typeof MimeNodeConstructor>;

/** mailsplit's limits; its words for them are kept in SplitLimitError (the decoder reads them as "cannot be read"). */
const MAX_HEAD_SIZE = 1024 * 1024;
const MAX_CHILD_NODES = 1000;
/** a pending line without a line break longer than this is body, not a possible delimiter */
const MAX_PENDING_LINE_SIZE = 64 * 1024;
/** what a delimiter line holds besides the boundary: "--", "--", up to 998 blanks, CRLF */
const BOUNDARY_LINE_SUFFIX = 2 + 2 + 998 + 2;
/** the same, with a line end in front of it (a line carried over) */
const BOUNDARY_LINE_OVERHEAD = BOUNDARY_LINE_SUFFIX + 2;

const LF = 0x0a;
const LF_DASH = Buffer.from('\n--');
const LF_CR_DASH = Buffer.from('\n\r--');
const CR = 0x0d;
const DASH = 0x2d;

/** A node of the message in the order mailsplit emits them, with its body (a leaf's) as slices of the message. */
export interface SplitNode {
  readonly node: MimeNode;
  readonly body: Buffer[];
}

export interface SplitOptions {
  readonly maxHeadSize?: number;
}

export class SplitLimitError extends Error {
  readonly code = 'EMAXLEN';
}

/** Where a delimiter line's `--` would start: after a line end (CR, LF or CRLF) in front of it, if there is one. */
function dashStart(message: Buffer, from: number, to: number): number {
  if (from >= to || (message[from] !== CR && message[from] !== LF)) return from;
  return from + 1 < to && message[from] === CR && message[from + 1] === LF ? from + 2 : from + 1;
}

/** 1 a delimiter, 2 the closing delimiter of `boundary`, or 0; the line is message[from, to). */
function compareBoundary(message: Buffer, from: number, to: number, start: number, boundary: Buffer): 0 | 1 | 2 {
  const length = to - from;
  const offset = start - from;
  if (length < boundary.length + 3 + offset || length > boundary.length + BOUNDARY_LINE_SUFFIX + offset) return 0;
  if (message.compare(boundary, 0, boundary.length, start + 2, start + 2 + boundary.length) !== 0) return 0;
  let at = start + 2 + boundary.length;
  let result: 1 | 2 = 1;
  if (message[at] === DASH) {
    if (message[at + 1] !== DASH) return 0;
    result = 2;
    at += 2;
  }
  while (at < to && (message[at] === 0x20 || message[at] === 0x09)) at += 1;
  if (at === to) return result === 2 ? 2 : 0;
  while (at < to && message[at] === CR) at += 1;
  if (at < to && message[at] === LF) at += 1;
  return at === to ? result : 0;
}

export interface SplitResult {
  /** the nodes met, in order; when `error` is set, the last leaf among them was still being read */
  readonly nodes: SplitNode[];
  /** why the split stopped: mailsplit's limits (a header block over maxHeadSize, more than 1000 nodes) */
  readonly error?: Error;
}

/** Splits a whole message into its nodes, as far as it can be read. */
export function splitMessage(message: Buffer, options: SplitOptions = {}): SplitResult {
  const out: SplitNode[] = [];
  try {
    splitInto(message, options, out);
    return { nodes: out };
  } catch (error) {
    return { nodes: out, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

function splitInto(message: Buffer, options: SplitOptions, out: SplitNode[]): void {
  const maxHeadSize = options.maxHeadSize || MAX_HEAD_SIZE;
  const config = { ignoreEmbedded: true, ...(options.maxHeadSize ? { maxHeadSize: options.maxHeadSize } : {}) };
  let nodeCounter = 0;
  let node!: Node;
  let head = true;
  let inEpilogue = false;
  let delimiterOwner: Node | false = false;
  /**
   * Where body lines go, and where the current run of them started. mailsplit's consumer
   * writes every body line to the part it opened last: after the closing delimiter of a
   * parent that is no multipart (a leaf with a boundary parameter) the lines that follow
   * are that parent's body, and go to the last part all the same.
   */
  let bodyOf: SplitNode | undefined;
  let bodyStart = -1;

  const newNode = (parent: Node | false) => {
    node = new MimeNodeConstructor(parent, config);
    head = true;
    nodeCounter += 1;
    inEpilogue = false;
  };
  const emit = (emitted: Node) => {
    const entry = { node: emitted as MimeNode, body: [] };
    out.push(entry);
    return entry;
  };
  const checkHeadSize = (extra?: number) => {
    if (node.headerCost(extra) > maxHeadSize) throw new SplitLimitError('Max header size for a MIME node exceeded');
  };

  /**
   * Ends the run of body lines at `end` (a delimiter line): a child's body gives its last
   * line end to the delimiter. Before a delimiter that opens a part (kinds 1 and 3)
   * mailsplit hands over a run of one bare line end whole, untrimmed: so does this.
   */
  const closeBody = (end: number, trim: boolean, opening = false) => {
    if (bodyStart < 0 || !bodyOf) return;
    let stop = trim ? trimmedEnd(message, node, bodyStart, end) : end;
    if (stop === bodyStart && opening && end > bodyStart && message.indexOf(LF, bodyStart) === end - 1) stop = end;
    if (stop > bodyStart) bodyOf.body.push(message.subarray(bodyStart, stop));
    bodyStart = -1;
  };

  /** The delimiter kind of the line message[from, to): 1-2 the current node's, 3-4 an ancestor's (delimiterOwner), 0 none. */
  const checkBoundary = (from: number, to: number): number => {
    const start = dashStart(message, from, to);
    if (to - from < 4 || message[start] !== DASH || message[start + 1] !== DASH) return 0;
    let kind: number;
    if (!inEpilogue && node._boundary && (kind = compareBoundary(message, from, to, start, node._boundary))) return kind;
    for (let owner = node._parentBoundaryOwner as Node | false; owner; owner = owner._parentBoundaryOwner as Node | false) {
      if (owner._boundary && (kind = compareBoundary(message, from, to, start, owner._boundary))) {
        delimiterOwner = owner;
        return kind + 2;
      }
    }
    return 0;
  };

  const maxBoundaryLength = () => {
    let max = node._boundary ? node._boundary.length : 0;
    for (let owner = node._parentBoundaryOwner as Node | false; owner; owner = owner._parentBoundaryOwner as Node | false) {
      if (owner._boundary && owner._boundary.length > max) max = owner._boundary.length;
    }
    return max;
  };

  /** One line, message[from, to): what mailsplit's processLine does with it. `truncated`: the rest of an overlong line. */
  const line = (from: number, to: number, final: boolean, truncated: boolean) => {
    if (nodeCounter > MAX_CHILD_NODES) throw new SplitLimitError('Max allowed child nodes exceeded');
    const kind = truncated ? 0 : checkBoundary(from, to);
    if (kind) {
      closeBody(from, true, kind === 1 || kind === 3);
      // After its own closing delimiter a leaf's body goes on (a boundary on a part that is no multipart).
      if (kind !== 2) bodyOf = undefined;
      if (kind === 1) newNode(node);
      else if (kind === 3) newNode(delimiterOwner as Node);
      else if (kind === 4) {
        if (node._headerlen && !node.headers) {
          node.parseHeaders();
          emit(node);
        }
        if (delimiterOwner) {
          node = delimiterOwner;
          inEpilogue = true;
        }
        head = false;
        const last = out[out.length - 1];
        bodyOf = !node.multipart && last && !last.node.multipart ? last : undefined;
      }
      return;
    }
    if (head) {
      const ends = node.addHeaderChunk(message.subarray(from, to));
      checkHeadSize();
      if (final || ends) {
        node.parseHeaders();
        head = false;
        const entry = emit(node);
        bodyOf = node.multipart ? undefined : entry;
      }
      return;
    }
    if (bodyOf && bodyStart < 0) bodyStart = from;
  };

  // Where the next line starting CR "--" is: rare, so looked for again only once passed.
  let nextCrDash = -2;
  const candidate = (from: number): number => {
    if (message[from] === DASH && message[from + 1] === DASH) return from;
    if (message[from] === CR && message[from + 1] === DASH && message[from + 2] === DASH) return from;
    if (nextCrDash !== -1 && nextCrDash < from) nextCrDash = message.indexOf(LF_CR_DASH, from);
    const plain = message.indexOf(LF_DASH, from);
    const found = plain < 0 ? nextCrDash : nextCrDash < 0 ? plain : Math.min(plain, nextCrDash);
    return found < 0 || found + 1 >= complete ? -1 : found + 1;
  };

  newNode(false);
  // Complete lines end before `complete`; what follows is mailsplit's pending line.
  const complete = message.lastIndexOf(LF) + 1;
  let position = 0;
  while (position < complete) {
    if (!head) {
      // In a body or a preamble only a line that can be a delimiter needs looking at: one
      // that starts with "--" (or a CR then "--"). The lines in between are skipped.
      if (bodyOf && bodyStart < 0) bodyStart = position;
      const next = candidate(position);
      if (next < 0) {
        position = complete;
        break;
      }
      position = next;
    }
    const end = message.indexOf(LF, position);
    line(position, end + 1, false, false);
    position = end + 1;
  }
  // The end of the message, as mailsplit's end of chunk and flush see it: a child's body
  // gives up its last line end, which goes in front of the unterminated rest, the last line.
  let rest = complete;
  if (!head && bodyOf && bodyStart >= 0) {
    const trimmed = trimmedEnd(message, node, bodyStart, rest);
    if (trimmed > bodyStart) bodyOf.body.push(message.subarray(bodyStart, trimmed));
    bodyStart = -1;
    rest = trimmed;
  }
  let truncated = false;
  const pendingLength = message.length - rest;
  if (pendingLength > maxBoundaryLength() + BOUNDARY_LINE_OVERHEAD) {
    if (head) checkHeadSize(pendingLength);
    else if (pendingLength >= MAX_PENDING_LINE_SIZE) {
      // Too long to be a delimiter: body as it is, but for a last CR (its LF may follow).
      const stop = message[message.length - 1] === CR ? message.length - 1 : message.length;
      if (bodyOf) bodyOf.body.push(message.subarray(rest, stop));
      rest = stop;
      truncated = true;
    }
  }
  line(rest, message.length, true, truncated);
  closeBody(message.length, false);
}

/** Where a body of `owner` ending at `end` stops once a child gives its last line end to what follows. */
function trimmedEnd(message: Buffer, owner: MimeNode, start: number, end: number): number {
  if (!owner.parentNode) return end;
  let stop = end;
  if (stop > start && message[stop - 1] === LF) {
    stop -= 1;
    if (stop > start && message[stop - 1] === CR) stop -= 1;
  }
  return stop;
}
