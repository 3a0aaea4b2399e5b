/** What each import format says about its files; collector/import/job.ts reads them with it. */
import type { ImportKind } from '../../sql/imports.ts'
import type { FileType, ImportFile } from './files.ts'

/** How ClickHouse reads one file, and where its rows go. */
export interface ReadPlan {
  format: 'JSONEachRow' | 'Parquet' | 'CSVWithNames'
  /** Its columns as the format holds them (only those read): what `input()` and `file()` are given. */
  structure: string
  /** `INSERT INTO <table> SELECT … FROM ${source}`: the file's rows, as the rows of `table`. */
  insert: (source: string, staging: string) => string
  /** The table the insert fills, whose rows count the file's records (default: the staging table). */
  counted?: (staging: string) => string
}

export interface Format {
  kind: ImportKind
  /**
   * How a file is read (`head`: its first line), the catalogue key of why it is not one of this format's,
   * or null for a file of a zip that the format does not read (a README).
   */
  plan(file: ImportFile, type: Exclude<FileType, 'gzip' | 'zip' | 'empty'>, head: string, inZip: boolean): ReadPlan | string | null
  /** A check of the job's rows after each file: SQL answering `bad` (non-zero refuses the file with `problem`). */
  check?: { sql: (staging: string) => string; problem: string }
  /** The SELECT that publishes the staged rows (`from`, a subquery of them), in the target table's columns (default: them as they are). */
  publish?: (from: string, staging: string) => string
  /** Tables of the job besides the staging one (made before its first file, dropped with it). */
  sideTables?: (staging: string) => { name: string; create: string }[]
}
