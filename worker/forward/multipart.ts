/**
 * A multipart/form-data body whose file part is streamed (never buffered whole), with a known
 * length so the request carries Content-Length: text fields first, then one file part.
 */
export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  body: ReadableStream<Uint8Array>;
}

export interface StreamedMultipart {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  length: number;
}

const encoder = new TextEncoder();
const quote = (s: string) => s.replace(/["\r\n\\]/g, "_");

export function streamedMultipart(
  fields: [string, string][],
  file: MultipartFile,
  boundary = `cekura-${crypto.randomUUID()}`,
): StreamedMultipart {
  let headText = "";
  for (const [name, value] of fields) {
    headText += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`;
  }
  headText +=
    `--${boundary}\r\nContent-Disposition: form-data; name="${quote(file.field)}"; filename="${quote(file.filename)}"\r\n` +
    `Content-Type: ${file.contentType}\r\n\r\n`;
  const head = encoder.encode(headText);
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const length = head.byteLength + file.size + tail.byteLength;

  const pipe =
    typeof FixedLengthStream === "function"
      ? new FixedLengthStream(length)
      : new TransformStream<Uint8Array, Uint8Array>();
  const writer = pipe.writable.getWriter();
  void (async function writeParts() {
    try {
      await writer.write(head);
      const reader = file.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await writer.write(value);
      }
      await writer.write(tail);
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
    }
  })();
  return {
    body: pipe.readable as ReadableStream<Uint8Array>,
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
  };
}
