import { RolloutsPage } from "../../components/RolloutsPage";

export default function Page() {
  return <RolloutsPage />;
}
