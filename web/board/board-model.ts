// What the board knows: each deal as the server last reported it, the drops still waiting for the
// server's answer, and each column's totals. Pure data, no DOM: the view draws `columns()`.

/** A deal as the board's operations (docs/operations/*.graphql) select it. */
export interface ServerDeal {
  readonly id: string;
  readonly name: string;
  readonly amount: string | null;
  readonly version: number;
  readonly boardRank: string;
  readonly stage: { readonly id: string };
  readonly owner: { readonly name: string };
}

export interface Card {
  readonly id: string;
  readonly name: string;
  readonly amount: string | null;
  readonly version: number;
  readonly boardRank: string;
  readonly stageId: string;
  readonly ownerName: string;
  /** Deleted, or moved to another pipeline: kept (hidden) so an older report cannot bring it back. */
  readonly removed: boolean;
}

export interface Stage {
  readonly id: string;
  readonly name: string;
  readonly probability: number;
}

export interface ColumnTotals {
  readonly count: number;
  readonly totalAmount: string;
  readonly weightedAmount: string;
}

/** Where a card was dropped: in `stageId`, right after `afterId` and right before `beforeId`. */
export interface Placement {
  readonly stageId: string;
  readonly afterId: string | null;
  readonly beforeId: string | null;
}

export interface ColumnView {
  readonly stage: Stage;
  readonly totals: ColumnTotals;
  readonly cards: readonly Card[];
  /** Cards of the column that were not loaded with the board (beyond the first page). */
  readonly notShown: number;
}

export interface BoardData {
  readonly columns: readonly {
    readonly stage: Stage;
    readonly count: number;
    readonly totalAmount: string;
    readonly weightedAmount: string;
    readonly deals: { readonly nodes: readonly ServerDeal[]; readonly pageInfo: { readonly hasNextPage: boolean } };
  }[];
}

type Ranked = Pick<Card, 'boardRank' | 'id'>;

/** Board order: boardRank compared as plain strings (the server sorts with COLLATE "C"), then id. */
export function compareCards(a: Ranked, b: Ranked): number {
  if (a.boardRank !== b.boardRank) return a.boardRank < b.boardRank ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export const cardOf = (deal: ServerDeal, removed = false): Card => ({
  id: deal.id,
  name: deal.name,
  amount: deal.amount,
  version: deal.version,
  boardRank: deal.boardRank,
  stageId: deal.stage.id,
  ownerName: deal.owner.name,
  removed,
});

export class BoardModel {
  readonly stages: readonly Stage[];
  private readonly cards = new Map<string, Card>();
  private readonly pending = new Map<string, Placement>();
  private readonly totals = new Map<string, ColumnTotals>();
  /**
   * Per column that had more cards than were loaded: the last loaded card. The board shows the
   * column's cards up to it, which stays exactly the true prefix as moves come and go.
   */
  private readonly boundaries = new Map<string, Ranked>();

  constructor(board: BoardData) {
    this.stages = board.columns.map((column) => column.stage);
    for (const column of board.columns) {
      this.totals.set(column.stage.id, column);
      for (const deal of column.deals.nodes) this.cards.set(deal.id, cardOf(deal));
      const last = column.deals.nodes.at(-1);
      if (column.deals.pageInfo.hasNextPage && last) this.boundaries.set(column.stage.id, last);
    }
  }

  card(id: string): Card | undefined {
    const card = this.cards.get(id);
    return card && !card.removed ? card : undefined;
  }

  stageName(id: string): string | undefined {
    return this.stages.find((stage) => stage.id === id)?.name;
  }

  /**
   * Takes a deal as the server reported it (an event, a mutation's result, a re-read). Reports can
   * arrive out of order (an HTTP answer after a later event), so an older version is ignored.
   */
  applyDeal(deal: ServerDeal, removed = false): boolean {
    const known = this.cards.get(deal.id);
    if (known && known.version > deal.version) return false;
    const elsewhere = !this.stages.some((stage) => stage.id === deal.stage.id);
    this.cards.set(deal.id, cardOf(deal, removed || elsewhere));
    return true;
  }

  setTotals(columns: readonly ({ readonly stage: { readonly id: string } } & ColumnTotals)[]): void {
    for (const column of columns) this.totals.set(column.stage.id, column);
  }

  /** Shows a dropped card where it was dropped until `settle`. */
  place(id: string, placement: Placement): void {
    this.pending.set(id, placement);
  }

  settle(id: string): void {
    this.pending.delete(id);
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** Whether a drop leaves the card where it is (on itself, or between its own neighbours). */
  isWhereItIs(id: string, placement: Placement): boolean {
    const card = this.card(id);
    if (!card || card.stageId !== placement.stageId) return false;
    const cards = this.columnCards(card.stageId);
    const index = cards.findIndex((other) => other.id === id);
    return (cards[index - 1]?.id ?? null) === placement.afterId && (cards[index + 1]?.id ?? null) === placement.beforeId;
  }

  columns(): ColumnView[] {
    return this.stages.map((stage) => {
      const totals = this.totals.get(stage.id) ?? { count: 0, totalAmount: '0.00', weightedAmount: '0.00' };
      const cards = this.columnCards(stage.id);
      // Only a column loaded in part has cards that are not shown; elsewhere the totals may just be newer than the cards.
      const notShown = this.boundaries.has(stage.id) ? Math.max(0, totals.count - cards.length) : 0;
      return { stage, totals, cards, notShown };
    });
  }

  private columnCards(stageId: string): Card[] {
    const boundary = this.boundaries.get(stageId);
    const settled = [...this.cards.values()]
      .filter((card) => !card.removed && card.stageId === stageId && !this.pending.has(card.id))
      .filter((card) => !boundary || compareCards(card, boundary) <= 0)
      .sort(compareCards);
    for (const [id, placement] of this.pending) {
      const card = this.card(id);
      if (!card || placement.stageId !== stageId) continue;
      const after = placement.afterId ? settled.findIndex((other) => other.id === placement.afterId) : -1;
      const before = placement.beforeId ? settled.findIndex((other) => other.id === placement.beforeId) : -1;
      settled.splice(after >= 0 ? after + 1 : before >= 0 ? before : settled.length, 0, card);
    }
    return settled;
  }
}
