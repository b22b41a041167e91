import { AccessPage } from "../../components/AccessPage";

export default function Page() {
  return <AccessPage />;
}
