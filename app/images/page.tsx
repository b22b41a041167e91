import { ImagesPage } from "../../components/ImagesPage";

export default function Page() {
  return <ImagesPage />;
}
