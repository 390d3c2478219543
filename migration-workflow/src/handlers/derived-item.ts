import {
  DERIVED_INDEX_NAMES,
  DERIVED_INDEXES,
  EVENT_ID_INDEX,
  EventAttr,
  type DerivedIndex,
} from '../../../contract/table-schemas';
import { InvalidMigrationInputError } from '../errors';

/** An events-table item as the document client reads it. */
export type Item = Readonly<Record<string, unknown>>;

/** A derived index the migration can build, by name. */
export interface MigrationTarget {
  indexName: string;
  index: DerivedIndex;
}

/** The derived index named `value` (default `event-id-index`); throws for a name DERIVED_INDEXES does not define. */
export function requireDerivedIndex(value: unknown): MigrationTarget {
  const indexName = value ?? EVENT_ID_INDEX;
  if (typeof indexName !== 'string' || !Object.hasOwn(DERIVED_INDEXES, indexName)) {
    throw new InvalidMigrationInputError(
      `indexName must be one of ${DERIVED_INDEX_NAMES.join(', ')}; received ${JSON.stringify(value)}`,
    );
  }
  return { indexName, index: DERIVED_INDEXES[indexName] };
}

/** Attributes to read of an item to derive, write and check an index's attributes. */
export function attributesToRead(index: DerivedIndex): string[] {
  return [...new Set([EventAttr.tenantId, EventAttr.sk, ...index.sourceAttributes, ...index.derivedAttributes])];
}

/**
 * True when an event item ought to be in the index: every event for a `permanent` index, every pending
 * event (one with `inbox_pk`) for a `while-pending` one. Such an item whose `derive` gives nothing cannot
 * be indexed (a sort key without an id, a pending event without its source).
 */
function oughtToBelong(index: DerivedIndex, item: Item): boolean {
  return index.membership === 'permanent' || typeof item[EventAttr.inboxPk] === 'string';
}

/** What an event item holds of an index's derived attributes, compared with what it should hold. */
export type DerivedCheck =
  | {
      belongs: true;
      derived: Readonly<Record<string, string>>;
      /** `right`: every derived attribute holds its value; `missing`: one is absent; `wrong`: one holds another value. */
      holds: 'right' | 'missing' | 'wrong';
    }
  | {
      belongs: false;
      /** The item ought to be in the index but its derived attributes cannot be computed. */
      underivable: boolean;
      /** The item carries a derived attribute although it does not belong: it would be in the index wrongly. */
      stray: boolean;
    };

/** Checks one event item against an index's derivation. */
export function checkDerived(index: DerivedIndex, item: Item): DerivedCheck {
  const derived = index.derive(item);
  if (!derived) {
    return {
      belongs: false,
      underivable: oughtToBelong(index, item),
      stray: index.derivedAttributes.some((name) => item[name] !== undefined),
    };
  }
  const entries = Object.entries(derived);
  const holds = entries.every(([name, value]) => item[name] === value)
    ? 'right'
    : entries.some(([name]) => item[name] === undefined)
      ? 'missing'
      : 'wrong';
  return { belongs: true, derived, holds };
}

/**
 * The key of an item in the index: the index's key attributes, from the derived attributes or the
 * item's own (`sk` as a range key).
 */
export function indexKeyOf(
  index: DerivedIndex,
  item: { tenantId: string; sk: string; derived: Readonly<Record<string, string>> },
): Record<string, string> {
  const own: Record<string, string> = { [EventAttr.tenantId]: item.tenantId, [EventAttr.sk]: item.sk };
  return Object.fromEntries(
    (index.definition.KeySchema ?? []).map(({ AttributeName }) => {
      const name = AttributeName ?? '';
      return [name, item.derived[name] ?? own[name] ?? ''];
    }),
  );
}
