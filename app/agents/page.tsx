import { AgentsPage } from "../../components/AgentsPage";

export default function Page() {
  return <AgentsPage />;
}
