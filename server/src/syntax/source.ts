// Python source as bytes on disk and as text: PEP 263 coding cookies, BOMs, and writing fixes back
// in the encoding the file came in.

export interface Decoded {
  text: string;
  encoding: string;
  bom: boolean;
}

/**
 * Decodes Python source: UTF-8 (with or without BOM) unless a PEP 263 coding cookie in the first two
 * lines names another encoding. Throws with a one-line reason for bytes that are not valid text.
 */
export function decodeSource(bytes: Uint8Array): Decoded {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  const head = Buffer.from(body.subarray(0, 400)).toString('latin1').split('\n').slice(0, 2).join('\n');
  const cookie = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/m.exec(head)?.[1]?.toLowerCase();
  const encoding =
    !cookie || bom || /^utf[-_]?8/.test(cookie) ? 'utf-8' : LATIN1.test(cookie) ? 'latin-1' : cookie.replace(/_/g, '-');
  // ISO-8859-1 decodes every byte and round-trips exactly (WHATWG's "latin1" label means windows-1252)
  if (encoding === 'latin-1') return { text: Buffer.from(body).toString('latin1'), encoding, bom };
  const decoder = (() => {
    try {
      return new TextDecoder(encoding, { fatal: true });
    } catch {
      throw new Error(`unknown source encoding "${cookie}"`);
    }
  })();
  try {
    return { text: decoder.decode(body), encoding, bom };
  } catch {
    const offset = encoding === 'utf-8' ? firstInvalidUtf8(body) : -1;
    throw new Error(`not valid ${encoding}${offset >= 0 ? ` (byte ${offset + (bom ? 3 : 0)})` : ''}`);
  }
}

const LATIN1 = /^(latin[-_]?1|iso[-_]?8859[-_]?1|l1|8859|cp819)$/;

/** Encodes text back the way `decodeSource` found it; null when that encoding cannot be written. */
export function encodeSource(text: string, decoded: Decoded): Uint8Array | null {
  const enc = decoded.encoding;
  let body: Buffer;
  if (enc === 'utf-8') body = Buffer.from(text, 'utf8');
  else if (enc === 'latin-1') body = Buffer.from(text, 'latin1');
  // eslint-disable-next-line no-control-regex -- ASCII is 0x00 to 0x7f, control characters included
  else if (/^(ascii|us-ascii)$/.test(enc) && /^[\x00-\x7f]*$/.test(text)) body = Buffer.from(text, 'ascii');
  else return null;
  return decoded.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0,
    hi = bytes.length;
  // binary search for the shortest invalid prefix (streaming: a cut-off sequence is not an error)
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo;
}
