import { render } from 'solid-js/web';
import { App } from './App.tsx';
import { CallProvider } from './state/CallStore.tsx';
import './styles.css';

render(
  () => (
    <CallProvider>
      <App />
    </CallProvider>
  ),
  document.getElementById('root')!,
);
