/**
 * Imported events published as the collector writes events: what it fixes at a visit's first event (its
 * start; its referrer, source and UTM values) stamped on every event of the visit. The formats read a
 * file at a time, and a visit may run over two (GA4's daily files, at midnight): so this is done once,
 * over the whole import, when it is published. The staging table is ordered by visit and time, so the
 * window is read in order, a visit at a time.
 */
export const withVisitAttributes = (from: string) => `
  SELECT * REPLACE (
    min(timestamp) OVER visit AS session_start,
    first_value(referrer) OVER visit AS referrer,
    first_value(referrer_source) OVER visit AS referrer_source,
    first_value(utm_source) OVER visit AS utm_source,
    first_value(utm_medium) OVER visit AS utm_medium,
    first_value(utm_campaign) OVER visit AS utm_campaign,
    first_value(utm_content) OVER visit AS utm_content,
    first_value(utm_term) OVER visit AS utm_term)
  FROM ${from}
  WINDOW visit AS (PARTITION BY session_id ORDER BY timestamp ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)`
