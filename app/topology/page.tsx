import { TopologyPage } from "../../components/TopologyPage";

export default function Page() {
  return <TopologyPage />;
}
