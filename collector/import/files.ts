/**
 * An import's files on this machine's disk before ClickHouse reads them: an upload written to a file of
 * the job's own (owner-only) and never past the size limit, a zip checked whole (every name inside its
 * folder, the unpacked size within the limit) before anything of it is unpacked, a gzipped file unpacked
 * within the limit too, and what a file is, by its first bytes rather than its name.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import yauzl from 'yauzl'

/** Why a file is refused: a problem the person who sent it can fix, said with the file's name. */
export class FileRefused extends Error {
  constructor(
    readonly file: string,
    /** A catalogue key (`api.import.file.*`) and its values. */
    readonly problem: string,
    readonly values: Record<string, string | number> = {},
  ) {
    super(`${file}: ${problem} ${JSON.stringify(values)}`)
  }
}

/** A file to read: the name it was given (never a path of ours) and where it is. */
export interface ImportFile {
  name: string
  path: string
}

/**
 * Writes `body` to `path` (0600, which must not exist), stopping and removing it as soon as it passes
 * `limit` bytes. With `append`, adds it to the end of `path` instead (a part of a file sent in parts), at
 * most `limit` bytes, and on failure cuts `path` back to what it held. `said` is the limit a refusal names.
 * Returns the bytes received.
 */
export async function receive(body: AsyncIterable<Uint8Array> | Readable, path: string, limit: number, name: string, append?: { had: number; said: number }): Promise<number> {
  const count = counted(limit, () => new FileRefused(name, 'api.import.file.tooLarge', { limit: append?.said ?? limit }))
  try {
    await pipeline(Readable.from(body), count, createWriteStream(path, { flags: append ? 'a' : 'wx', mode: 0o600 }))
  } catch (error) {
    if (append) await truncate(path, append.had).catch(() => {})
    else await rm(path, { force: true })
    throw error
  }
  return count.size
}

/** Bytes passed through, counted, and refused (`refusal`) as soon as they pass `limit`. */
function counted(limit: number, refusal: () => FileRefused): Transform & { size: number } {
  const count = Object.assign(new Transform({
    transform(chunk: Buffer, _encoding, done) {
      count.size += chunk.length
      done(count.size > limit ? refusal() : null, chunk)
    },
  }), { size: 0 })
  return count
}

/**
 * A gzipped file unpacked to `path` (0600), refused as soon as it passes `limit` bytes unpacked (what is
 * left of the limit `said`): the size limit holds for what is read, not only for what was sent.
 */
export async function gunzip(file: ImportFile, path: string, limit: number, said = limit): Promise<ImportFile> {
  const count = counted(limit, () => new FileRefused(file.name, 'api.import.file.zipTooLarge', { limit: said }))
  try {
    await pipeline(createReadStream(file.path), createGunzip(), count, createWriteStream(path, { flags: 'wx', mode: 0o600 }))
  } catch (error) {
    await rm(path, { force: true })
    if (error instanceof FileRefused) throw error
    throw new FileRefused(file.name, 'api.import.file.unreadable', { reason: (error as Error).message })
  }
  return { name: file.name, path }
}

export type FileType = 'zip' | 'parquet' | 'gzip' | 'text' | 'empty'

/** What a file is, by its first bytes. */
export async function fileType(path: string): Promise<FileType> {
  const handle = await open(path, 'r')
  try {
    const head = Buffer.alloc(4)
    const { bytesRead } = await handle.read(head, 0, 4, 0)
    if (bytesRead === 0) return 'empty'
    if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04' || head.subarray(0, 4).toString('latin1') === 'PK\x05\x06') return 'zip'
    if (head.toString('latin1') === 'PAR1') return 'parquet'
    if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
    return 'text'
  } finally {
    await handle.close()
  }
}

/** At most this many files in a zip. */
const MAX_ENTRIES = 10_000

/**
 * A zip's files unpacked into `dir`, once every entry was checked: a name that leaves the zip's folder
 * (absolute, `..`, a drive or a backslash) or a total unpacked size past `limit` refuses the whole zip
 * before anything is written. Sizes are the zip's own word until unpacked: yauzl then checks each entry's
 * bytes against it, so a zip that lies is refused midway (and the caller removes `dir`).
 */
export async function unzip(file: ImportFile, dir: string, limit: number): Promise<ImportFile[]> {
  const entries = await listEntries(file)
  let total = 0
  for (const entry of entries) {
    if (!safeName(entry.fileName)) throw new FileRefused(file.name, 'api.import.file.zipPath', { entry: entry.fileName.slice(0, 200) })
    total += entry.uncompressedSize
  }
  if (entries.length > MAX_ENTRIES) throw new FileRefused(file.name, 'api.import.file.zipEntries', { limit: MAX_ENTRIES })
  if (total > limit) throw new FileRefused(file.name, 'api.import.file.zipTooLarge', { limit })
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const zip = await openZip(file)
  const unpacked: ImportFile[] = []
  try {
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue
      const path = join(dir, `${unpacked.length}`)
      const stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (error, s) => (error ? reject(error) : resolve(s))))
      await pipeline(stream, createWriteStream(path, { flags: 'wx', mode: 0o600 })).catch((error: Error) => {
        throw new FileRefused(file.name, 'api.import.file.zipDamaged', { entry: entry.fileName, reason: error.message })
      })
      unpacked.push({ name: entry.fileName, path })
    }
  } finally {
    zip.close()
  }
  return unpacked
}

const safeName = (name: string) =>
  name.length > 0 && !name.startsWith('/') && !name.includes('\\') && !name.includes('\0') && !/^[A-Za-z]:/.test(name) && !name.split('/').some((part) => part === '..')

function openZip(file: ImportFile): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file.path, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (error, zip) =>
      error ? reject(new FileRefused(file.name, 'api.import.file.zipDamaged', { entry: '', reason: error.message })) : resolve(zip)))
}

/** The zip's central directory, read without unpacking anything. */
async function listEntries(file: ImportFile): Promise<yauzl.Entry[]> {
  const zip = await openZip(file)
  try {
    return await new Promise<yauzl.Entry[]>((resolve, reject) => {
      const entries: yauzl.Entry[] = []
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.push(entry)
        if (entries.length > MAX_ENTRIES) return resolve(entries)
        zip.readEntry()
      })
      zip.on('end', () => resolve(entries))
      // yauzl refuses a name outside the folder itself, before we see the entry.
      zip.on('error', (error: Error) => reject(/absolute path|relative path|invalid characters/.test(error.message)
        ? new FileRefused(file.name, 'api.import.file.zipPath', { entry: error.message.replace(/^[^:]*: /, '').slice(0, 200) })
        : new FileRefused(file.name, 'api.import.file.zipDamaged', { entry: '', reason: error.message })))
      zip.readEntry()
    })
  } finally {
    zip.close()
  }
}
