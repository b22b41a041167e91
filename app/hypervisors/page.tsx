import { HypervisorsPage } from "../../components/HypervisorsPage";

export default function Page() {
  return <HypervisorsPage />;
}
