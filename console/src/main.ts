/**
 * The clvstream web console: a hash-routed single page over the HTTP API.
 *   #/customers[/<id>]   customer look-up
 *   #/population[?…]     population report
 *   #/model              the model in use
 */
import './style.css';
import { api, onTokenNeeded } from './api.js';
import { destroyCharts } from './charts.js';
import { customerPage } from './customer-page.js';
import { h } from './dom.js';
import { modelPage } from './model-page.js';
import { populationPage } from './population-page.js';

const app = document.getElementById('app')!;
const status = document.getElementById('status')!;
const dialog = document.getElementById('token-dialog') as HTMLDialogElement;
const tokenInput = document.getElementById('token-input') as HTMLInputElement;

let pendingToken: Promise<string> | null = null;
onTokenNeeded(() => {
  pendingToken ??= new Promise<string>((resolve) => {
    tokenInput.value = '';
    dialog.addEventListener(
      'close',
      () => {
        pendingToken = null;
        resolve(tokenInput.value);
      },
      { once: true },
    );
    dialog.showModal();
  });
  return pendingToken;
});

/** Which page the hash names, with its argument and query. */
function route(): { page: string; arg: string | undefined; query: URLSearchParams } {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = hash.split('?', 2);
  const [page = '', ...rest] = path.split('/');
  return { page: page === '' ? 'population' : page, arg: rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined, query: new URLSearchParams(search) };
}

let rendering = 0;
async function render(): Promise<void> {
  const ticket = ++rendering;
  const { page, arg, query } = route();
  destroyCharts();
  const root = h('div', { class: 'page', 'data-page': page });
  app.replaceChildren(root);
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) link.classList.toggle('active', link.dataset['nav'] === page);
  switch (page) {
    case 'customers':
      await customerPage(root, arg);
      break;
    case 'model':
      await modelPage(root);
      break;
    case 'population':
      await populationPage(root, query);
      break;
    default:
      root.append(h('p', { class: 'error' }, `No page ${JSON.stringify(page)}.`));
  }
  if (ticket === rendering) root.dataset['loaded'] = 'true';
}

async function showStatus(): Promise<void> {
  try {
    const model = await api.model();
    status.textContent = `model ${model.version}`;
  } catch {
    status.textContent = '';
  }
}

window.addEventListener('hashchange', () => void render());
void render().then(showStatus);
