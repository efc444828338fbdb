// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, h, type App } from 'vue';
import CaseList from './CaseList.vue';

let app: App | null = null;

function render(props: InstanceType<typeof CaseList>['$props']): HTMLElement {
  const root = document.createElement('div');
  app = createApp({ render: () => h(CaseList, props) });
  app.mount(root);
  return root;
}

afterEach(() => {
  app?.unmount();
  app = null;
});

const opened = {
  id: 'c1',
  number: 'CS-0001',
  subject: 'Mower will not start',
  status: 'open',
  priority: 'high',
  openedAt: '2025-03-01T10:00:00.000Z',
};

describe('CaseList', () => {
  it("shows a pop's open cases by status, priority and opening date", () => {
    const root = render({ title: 'Open cases', emptyText: 'No open cases.', cases: [opened] });
    expect(root.querySelector('h2')?.textContent).toBe('Open cases');
    const text = root.querySelector('li')?.textContent?.replace(/\s+/g, ' ').trim();
    expect(text).toMatch(/^CS-0001 Mower will not start · Open · High · opened \S.+$/);
    expect(text).not.toContain('closed');
  });

  it('adds the kind and the closing date when the case list has them', () => {
    const root = render({
      title: 'Cases',
      emptyText: 'No cases.',
      cases: [{ ...opened, kind: 'complaint', status: 'closed', closedAt: '2025-03-04T10:00:00.000Z' }],
    });
    const text = root.querySelector('li')?.textContent?.replace(/\s+/g, ' ').trim();
    expect(text).toMatch(/^CS-0001 Mower will not start · Complaint · Closed · High · opened .+ · closed \S.+$/);
  });

  it('says so when there is no case', () => {
    const root = render({ title: 'Cases', emptyText: 'No cases.', cases: [] });
    expect(root.textContent).toContain('No cases.');
    expect(root.querySelector('li')).toBeNull();
  });
});
