// Draws the model's columns and turns drags into placements. Elements are kept per card and only
// moved, so a card being dragged stays in the page while other people's moves arrive.
import type { Card, ColumnView, Placement, Stage } from './board-model.js';

interface ColumnElements {
  readonly root: HTMLElement;
  readonly count: HTMLElement;
  readonly countLabel: HTMLElement;
  readonly total: HTMLElement;
  readonly weighted: HTMLElement;
  readonly list: HTMLElement;
  readonly more: HTMLElement;
}

/** "1234567.50" as "1,234,567.50", without going through a float. */
export function formatAmount(amount: string | null): string {
  if (amount === null) return '—';
  const [whole = '0', cents] = amount.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}${cents === undefined ? '' : `.${cents}`}`;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

export class BoardView {
  private readonly columns = new Map<string, ColumnElements>();
  private readonly cards = new Map<string, HTMLElement>();
  private dragging: string | null = null;

  constructor(
    private readonly container: HTMLElement,
    stages: readonly Stage[],
    private readonly onDrop: (dealId: string, placement: Placement) => void,
  ) {
    container.replaceChildren(...stages.map((stage) => this.createColumn(stage)));
  }

  render(columns: readonly ColumnView[], isPending: (id: string) => boolean): void {
    const shown = new Set<string>();
    for (const column of columns) {
      const parts = this.columns.get(column.stage.id);
      if (!parts) continue;
      parts.count.textContent = String(column.totals.count);
      parts.countLabel.textContent = column.totals.count === 1 ? ' deal · ' : ' deals · ';
      parts.total.textContent = formatAmount(column.totals.totalAmount);
      parts.weighted.textContent = formatAmount(column.totals.weightedAmount);
      parts.root.dataset['count'] = String(column.totals.count);
      parts.root.dataset['total'] = column.totals.totalAmount;
      parts.root.dataset['weighted'] = column.totals.weightedAmount;
      parts.more.textContent = column.notShown > 0 ? `+ ${column.notShown} more` : '';
      column.cards.forEach((card, index) => {
        shown.add(card.id);
        const node = this.cardElement(card, isPending(card.id));
        if (parts.list.children[index] !== node) parts.list.insertBefore(node, parts.list.children[index] ?? null);
      });
      while (parts.list.children.length > column.cards.length) parts.list.lastElementChild?.remove();
    }
    for (const [id, node] of this.cards) {
      if (!shown.has(id)) {
        node.remove();
        this.cards.delete(id);
      }
    }
  }

  private createColumn(stage: Stage): HTMLElement {
    const root = element('section', 'column');
    root.dataset['stageId'] = stage.id;
    const title = element('h2', 'column-title', stage.name);
    title.append(element('span', 'probability', ` ${stage.probability}%`));
    const count = element('span', 'count');
    const countLabel = element('span', 'count-label', ' deals · ');
    const total = element('span', 'total');
    const weighted = element('span', 'weighted');
    const figures = element('p', 'figures');
    figures.append(count, countLabel, total, ' · weighted ', weighted);
    const list = element('ol', 'cards');
    const more = element('p', 'more');
    root.append(title, figures, list, more);
    list.addEventListener('dragover', (event) => {
      if (!this.dragging) return;
      event.preventDefault();
      root.classList.add('drop-target');
    });
    list.addEventListener('dragleave', () => root.classList.remove('drop-target'));
    list.addEventListener('drop', (event) => {
      event.preventDefault();
      root.classList.remove('drop-target');
      const dealId = this.dragging;
      this.dragging = null;
      if (dealId) this.onDrop(dealId, this.placementAt(stage.id, list, dealId, event.clientY));
    });
    this.columns.set(stage.id, { root, count, countLabel, total, weighted, list, more });
    return root;
  }

  /** The neighbours of the drop point: the first card whose middle is below it, and the one before. */
  private placementAt(stageId: string, list: HTMLElement, dealId: string, y: number): Placement {
    const others = [...list.children].filter((node): node is HTMLElement => node instanceof HTMLElement && node.dataset['dealId'] !== dealId);
    const index = others.findIndex((node) => {
      const box = node.getBoundingClientRect();
      return y < box.top + box.height / 2;
    });
    const before = index === -1 ? null : others[index];
    const after = index === -1 ? others.at(-1) : others[index - 1];
    return { stageId, afterId: after?.dataset['dealId'] ?? null, beforeId: before?.dataset['dealId'] ?? null };
  }

  private cardElement(card: Card, pending: boolean): HTMLElement {
    let node = this.cards.get(card.id);
    if (!node) {
      node = element('li', 'card');
      node.dataset['dealId'] = card.id;
      node.addEventListener('dragstart', (event) => {
        this.dragging = card.id;
        // Firefox starts a drag only with data set.
        event.dataTransfer?.setData('text/plain', card.id);
      });
      node.addEventListener('dragend', () => (this.dragging = null));
      this.cards.set(card.id, node);
    }
    node.dataset['version'] = String(card.version);
    node.draggable = !pending;
    node.classList.toggle('pending', pending);
    node.replaceChildren(
      element('strong', 'card-name', card.name),
      element('span', 'card-amount', formatAmount(card.amount)),
      element('span', 'card-owner', card.ownerName),
    );
    return node;
  }
}
