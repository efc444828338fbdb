import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppRouter } from './router';
import './styles/base.css';
import './styles/layout.css';
import './styles/lists.css';
import './styles/tables.css';
import './styles/status.css';

const app = createApp(App);
app.use(createPinia());
app.use(createAppRouter());
app.mount('#app');
