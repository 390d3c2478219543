/**
 * A per-minute model of the burn-rate tiers as CloudWatch runs them: each window alarm averages the bad
 * share over its window (evaluated every minute, steady traffic), each tier's composite is long AND short,
 * and a slower tier's actions are suppressed while a faster composite is in ALARM and for the extension
 * period after it leaves ALARM; a composite still in ALARM when the extension ends performs its actions.
 */
import { DEFAULT_ALERTING, suppressionExtensionInMinutes, type BurnRateTier } from '../../contract/slo-spec';

const BUDGET = 0.001; // a 99.9 % success rate
const MINUTES_PER_DAY = 24 * 60;

/** Tiers that notified, in order, for a series of per-minute bad shares. */
function notifications(
  badShare: readonly number[],
  tiers: readonly BurnRateTier[],
  extensionInMinutes: (tier: BurnRateTier) => number,
): string[] {
  const prefix = [0];
  for (const share of badShare) prefix.push(prefix[prefix.length - 1] + share);
  const burn = (t: number, window: number): number =>
    (prefix[t + 1] - prefix[Math.max(0, t + 1 - window)]) / window / BUDGET;
  const inAlarm = tiers.map((tier) =>
    badShare.map(
      (_, t) =>
        burn(t, tier.longWindowInMinutes) > tier.burnFactor && burn(t, tier.shortWindowInMinutes) > tier.burnFactor,
    ),
  );

  const events: { minute: number; tier: string }[] = [];
  tiers.forEach((tier, i) => {
    let lastFasterAlarm = Number.NEGATIVE_INFINITY;
    let notifiedThisEpisode = false;
    for (let t = 0; t < badShare.length; t += 1) {
      // The suppressor: any faster composite (the wait period of one minute covers one that fires a minute later).
      const faster = inAlarm.slice(0, i).some((states) => states[t] || states[t + 1]);
      if (faster) lastFasterAlarm = t;
      if (!inAlarm[i][t]) {
        notifiedThisEpisode = false;
        continue;
      }
      const suppressed = i > 0 && t - lastFasterAlarm <= extensionInMinutes(tier);
      if (!suppressed && !notifiedThisEpisode) {
        events.push({ minute: t, tier: tier.name });
        notifiedThisEpisode = true;
      }
    }
  });
  return events.sort((a, b) => a.minute - b.minute).map((event) => event.tier);
}

/** Healthy traffic, with `share` bad from `from` for `minutes`, over `total` minutes. */
function series(total: number, from: number, minutes: number, share: number): number[] {
  return Array.from({ length: total }, (_, t) => (t >= from && t < from + minutes ? share : 0));
}

const TIERS = DEFAULT_ALERTING.burnRateTiers;
const FIVE_DAYS = 5 * MINUTES_PER_DAY;

describe('burn-rate notifications over time', () => {
  it('notifies a sharp outage once, by the fast tier, and not again from slower tiers after recovery', () => {
    const outage = series(FIVE_DAYS, 4 * MINUTES_PER_DAY, 10, 1);

    expect(notifications(outage, TIERS, suppressionExtensionInMinutes)).toEqual(['fast-burn']);
  });

  it('would page again after recovery with CloudWatch default extension of one minute', () => {
    const outage = series(FIVE_DAYS, 4 * MINUTES_PER_DAY, 10, 1);

    expect(notifications(outage, TIERS, () => 1)).toEqual(['fast-burn', 'medium-burn', 'slow-burn']);
  });

  it('notifies a moderate burn once, by the medium tier, keeping the ticket tier quiet after it', () => {
    // 8x for 10 hours: above 1x over 3 days too, so the ticket tier's composite is in ALARM as well.
    const burn8x = series(FIVE_DAYS, 3 * MINUTES_PER_DAY, 10 * 60, 8 * BUDGET);

    expect(notifications(burn8x, TIERS, suppressionExtensionInMinutes)).toEqual(['medium-burn']);
    expect(notifications(burn8x, TIERS, () => 1)).toEqual(['medium-burn', 'slow-burn']);
  });

  it.each([1.2, 2, 2.9])('tickets a sustained %sx burn, which no page tier sees', (factor) => {
    const slowBurn = series(FIVE_DAYS, MINUTES_PER_DAY, 4 * MINUTES_PER_DAY, factor * BUDGET);

    expect(notifications(slowBurn, TIERS, suppressionExtensionInMinutes)).toEqual(['slow-burn']);
  });

  it('missed a sustained 2x burn with the former 3x over 1 d / 2 h ticket tier', () => {
    const former = [
      ...TIERS.slice(0, 2),
      { name: 'slow-burn', severity: 'ticket', burnFactor: 3, longWindowInMinutes: 1440, shortWindowInMinutes: 120 },
    ] as const;
    const slowBurn = series(FIVE_DAYS, MINUTES_PER_DAY, 4 * MINUTES_PER_DAY, 2 * BUDGET);

    expect(notifications(slowBurn, former, suppressionExtensionInMinutes)).toEqual([]);
  });
});
